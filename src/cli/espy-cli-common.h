/* espy-cli-common.h: helpers every espy-cli command shares.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Exit codes: distinct per class of failure, so scripts can react. */
enum {
  EXIT_OK = 0,
  EXIT_DEVICE = 1,     /* the device refused or reported an error */
  EXIT_USAGE = 2,
  EXIT_BAD_INPUT = 3,  /* image or password file */
  EXIT_NETWORK = 4,
  EXIT_AUTH = 5,
  EXIT_CANCELLED = 130,
};

#define EXIT_CODES_HELP \
  N_("Exit status:\n" \
     "  0    the upload succeeded; the device is rebooting into the new firmware\n" \
     "  1    the device refused the update or reported an error\n" \
     "  2    usage error (unknown option, missing argument)\n" \
     "  3    bad input: the firmware file or the password file\n" \
     "  4    network: name not found, connection refused, unreachable, timeout, closed\n" \
     "  5    authentication: password required, rejected, or SHA256 required\n" \
     "  130  cancelled (Ctrl+C)")

typedef enum {
  OUTPUT_PLAIN,
  OUTPUT_TTY,
  OUTPUT_JSON,
} OutputMode;

void        print_error         (const char    *message);
void        print_errorf        (const char    *format,
                                 ...) G_GNUC_PRINTF (1, 2);
/* One JSON object per line on stdout, flushed. */
void        print_json          (JsonBuilder   *builder);
/* The exit code for a failure of any core domain. */
int         exit_code_for_error (const GError  *error);
/* The --json "code" of a failure. */
const char *code_for_error      (const GError  *error);
/* Reports a failure in every output mode (a JSON result line, and the
 * one-line error on stderr); returns EXIT_CODE, or the one for ERROR if < 0. */
int         report_failure      (OutputMode     mode,
                                 const GError  *error,
                                 const char    *json_code,
                                 int            exit_code);
/* TRUE when argv carries --password or --web-password (refused: argv is public). */
gboolean    argv_has_password   (int            argc,
                                 char         **argv);
/* A secret file's content minus one trailing newline. */
char       *read_password_file  (const char    *path,
                                 GError       **error);
/* The password from PASSWORD_FILE when given, else $ESPY_PASSWORD, else NULL
 * (without an error: no password). */
char       *read_password       (const char    *password_file,
                                 GError       **error);
/* Wipes and frees a secret. */
void        secret_free         (char          *secret);

/* Exit code and --json "code" for an error of any domain an install can
 * end with (OTA, web OTA, install job, build, firmware, API). */
int         install_exit_code   (const GError  *error);
const char *install_error_code  (const GError  *error);

/* Commands */
int         cmd_upload          (int            argc,
                                 char         **argv);
int         cmd_check           (int            argc,
                                 char         **argv);
int         cmd_discover        (int            argc,
                                 char         **argv);
int         cmd_devices         (int            argc,
                                 char         **argv);
int         cmd_doctor          (int            argc,
                                 char         **argv);
int         cmd_history         (int            argc,
                                 char         **argv);
int         cmd_install         (int            argc,
                                 char         **argv);
int         cmd_update_all      (int            argc,
                                 char         **argv);
int         cmd_info            (int            argc,
                                 char         **argv);
int         cmd_logs            (int            argc,
                                 char         **argv);
int         cmd_password        (int            argc,
                                 char         **argv);

G_END_DECLS
