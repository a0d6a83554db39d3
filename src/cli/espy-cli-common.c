/* espy-cli-common.c: what every espy-cli command shares: one-line errors,
 * JSON lines, exit codes per failure class, secrets read from files.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-cli-common.h"

#include <stdio.h>
#include <string.h>

#include "espy-firmware-image.h"
#include "espy-ota-error.h"
#include "espy-secrets.h"

/* Prints "espy-cli: MESSAGE" on one line on stderr. */
void
print_error (const char *message)
{
  g_autofree char *line = g_strdup (message);

  /* The contract is one line: flatten any multi-line message. */
  g_strdelimit (line, "\r\n", ' ');
  fprintf (stderr, "espy-cli: %s\n", line);
}

G_GNUC_PRINTF (1, 2)
void
print_errorf (const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  print_error (message);
}

void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  /* One object per line, flushed: readers follow it live through a pipe. */
  printf ("%s\n", text);
  fflush (stdout);
}

int
exit_code_for_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return EXIT_CANCELLED;
  if (error->domain == ESPY_FIRMWARE_ERROR)
    return EXIT_BAD_INPUT;
  if (error->domain != ESPY_OTA_ERROR)
    return EXIT_DEVICE;

  if (espy_ota_error_is_network (error->code))
    return EXIT_NETWORK;
  if (espy_ota_error_is_auth (error->code))
    return EXIT_AUTH;
  return EXIT_DEVICE;
}

/* The --json "code" of a failure. */
const char *
code_for_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  if (error->domain == ESPY_OTA_ERROR)
    return espy_ota_error_to_nick (error->code);
  if (error->domain == ESPY_FIRMWARE_ERROR)
    {
      switch ((EspyFirmwareError) error->code)
        {
        case ESPY_FIRMWARE_ERROR_READ: return "firmware-read";
        case ESPY_FIRMWARE_ERROR_EMPTY: return "firmware-empty";
        case ESPY_FIRMWARE_ERROR_TOO_LARGE: return "firmware-too-large";
        case ESPY_FIRMWARE_ERROR_NOT_FIRMWARE: return "firmware-not-firmware";
        case ESPY_FIRMWARE_ERROR_FACTORY_IMAGE: return "firmware-factory-image";
        case ESPY_FIRMWARE_ERROR_COMPRESS: return "firmware-compress";
        default: return "firmware";
        }
    }
  return "error";
}

/* Reports a failure in every output mode and returns the exit code. */
int
report_failure (OutputMode    mode,
                const GError *error,
                const char   *json_code,
                int           exit_code)
{
  if (mode == OUTPUT_JSON)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "result");
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                        ? _("cancelled") : error->message);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, json_code != NULL ? json_code : code_for_error (error));
      json_builder_end_object (b);
      print_json (b);
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    print_error (_("cancelled"));
  else
    print_error (error->message);

  return exit_code >= 0 ? exit_code : exit_code_for_error (error);
}

/* Passwords on the command line are visible to every user (ps, /proc). */
gboolean
argv_has_password (int    argc,
                   char **argv)
{
  static const char * const forbidden[] = { "--password", "--web-password" };

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--"))
        break;
      for (guint j = 0; j < G_N_ELEMENTS (forbidden); j++)
        {
          gsize len = strlen (forbidden[j]);

          if (strncmp (argv[i], forbidden[j], len) == 0 && (argv[i][len] == '\0' || argv[i][len] == '='))
            return TRUE;
        }
    }
  return FALSE;
}

/* Reads a password file: its content minus one trailing newline. */
char *
read_password_file (const char  *path,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not read the password file: %s"), local_error->message);
      return NULL;
    }
  if (len > 0 && contents[len - 1] == '\n')
    {
      contents[--len] = '\0';
      if (len > 0 && contents[len - 1] == '\r')
        contents[--len] = '\0';
    }
  if (strlen (contents) != len)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The password file “%s” contains a NUL byte."), path);
      explicit_bzero (contents, len);
      g_free (contents);
      return NULL;
    }
  return contents;
}

void
secret_free (char *secret)
{
  espy_secret_free (secret);
}


char *
read_password (const char  *password_file,
               GError     **error)
{
  const char *env;

  if (password_file != NULL)
    return read_password_file (password_file, error);
  env = g_getenv ("ESPY_PASSWORD");
  return env != NULL ? g_strdup (env) : NULL;
}
