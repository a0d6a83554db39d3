/* espy-build-runner.h: runs the user's ESPHome compiler on one device YAML
 * (`esphome compile <file.yaml>`), streams its output, estimates progress,
 * and finds the firmware image it produced.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESPY_BUILD_ERROR (espy_build_error_quark ())

/* Cancellation is reported as G_IO_ERROR_CANCELLED, not in this domain. */
typedef enum {
  ESPY_BUILD_ERROR_ESPHOME_MISSING,  /* the esphome command was not found */
  ESPY_BUILD_ERROR_SPAWN_FAILED,     /* found but could not be started */
  ESPY_BUILD_ERROR_CONFIG_INVALID,   /* esphome refused the configuration (exit 2) */
  ESPY_BUILD_ERROR_COMPILE_FAILED,   /* compiling or linking failed */
  ESPY_BUILD_ERROR_NO_FIRMWARE,      /* the build succeeded but no image was found */
} EspyBuildError;

GQuark espy_build_error_quark (void);

/* Properties: "file" (GFile, construct-only), "node-name", "command",
 * "progress" (0..1, read-only), "status" (short text, read-only),
 * "running" (read-only).
 *
 * Signals:
 *   output-line (const char *plain, const char *raw): one line of the
 *     compiler's merged stdout/stderr, valid UTF-8; PLAIN has the ANSI escape
 *     sequences removed, RAW keeps them (for a terminal-like view).
 *
 * The compiler never sees a secret through Espy: passwords stay in the YAML
 * or secrets.yaml where ESPHome reads them itself. */
#define ESPY_TYPE_BUILD_RUNNER (espy_build_runner_get_type ())
G_DECLARE_FINAL_TYPE (EspyBuildRunner, espy_build_runner, ESPY, BUILD_RUNNER, GObject)

/* @file: the device YAML; the build runs in its folder. */
EspyBuildRunner     *espy_build_runner_new             (GFile               *file);

GFile               *espy_build_runner_get_file        (EspyBuildRunner     *self);

/* The node name (esphome: name:, after substitutions) that names the build
 * folder; the caller has it from espy_device_config_get_name(). Without it
 * the runner reads "name" from .esphome/storage/<file>.json. */
void                 espy_build_runner_set_node_name   (EspyBuildRunner     *self,
                                                        const char          *node_name);
const char          *espy_build_runner_get_node_name   (EspyBuildRunner     *self);

/* The compiler command line, e.g. "esphome", "/opt/esphome/bin/esphome" or
 * "python3 -m esphome" (split like a shell would, but never run by one).
 * NULL or "": the environment variable ESPY_ESPHOME, else "esphome". */
void                 espy_build_runner_set_command     (EspyBuildRunner     *self,
                                                        const char          *command);
const char          *espy_build_runner_get_command     (EspyBuildRunner     *self);

/* The argv the next build will run (with `flatpak-spawn --host` inside a
 * Flatpak). For display and tests; NULL if the command does not parse. */
char               **espy_build_runner_build_argv      (EspyBuildRunner     *self,
                                                        GError             **error);

/* Runs the build; the result is the firmware image to upload. One build at a
 * time per runner (G_IO_ERROR_PENDING otherwise). Cancelling sends SIGTERM to
 * the compiler's process group, then SIGKILL after 5 seconds; the task
 * completes once the process is gone. */
void                 espy_build_runner_build_async     (EspyBuildRunner     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GFile               *espy_build_runner_build_finish    (EspyBuildRunner     *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

gboolean             espy_build_runner_get_running     (EspyBuildRunner     *self);
/* 0..1, monotonic during one build; 1 after success. */
double               espy_build_runner_get_progress    (EspyBuildRunner     *self);
/* "Reading configuration", "Compiling (12 files)", ...; NULL before a build. */
const char          *espy_build_runner_get_status      (EspyBuildRunner     *self);
/* The compiler's process id while it runs (for tests), else 0. */
GPid                 espy_build_runner_get_pid         (EspyBuildRunner     *self);
/* After a failed build: the last meaningful output lines (errors, not the
 * "Compiling ..." chatter), at most 15, oldest first. Empty otherwise. */
const char * const  *espy_build_runner_get_error_lines (EspyBuildRunner     *self);

/* Exposed for tests: @line without ANSI escape sequences. */
char                *espy_build_strip_ansi             (const char          *line);

G_END_DECLS
