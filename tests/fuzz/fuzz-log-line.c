/* fuzz-log-line.c: libFuzzer target for the device log line parser
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-log-line.h"
#include "fuzz-common.h"

/* Device log lines (native API, web server events, build output): colour
 * codes, [L][tag:line] headers, secrets to mask, any bytes at all. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(EspyLogLine) line = NULL;
  g_autoptr(EspyLogLine) copy = NULL;
  g_autoptr(EspyLogLine) nul_terminated = NULL;
  g_autofree char *masked = NULL;
  g_autofree char *str = NULL;
  EspyLogLevel level;

  fuzz_init_logging ();
  line = espy_log_line_parse ((const char *) data, size);
  g_assert (line != NULL);
  g_assert (line->text != NULL && g_utf8_validate (line->text, -1, NULL));
  for (guint i = 0; line->secrets != NULL && i < line->secrets->len; i++)
    {
      EspyLogRange *range = &g_array_index (line->secrets, EspyLogRange, i);

      g_assert (range->start <= range->end && range->end <= strlen (line->text));
    }

  copy = espy_log_line_copy (line);
  masked = espy_log_line_dup_text_masked (line, "•••");
  g_assert (g_utf8_validate (masked, -1, NULL));
  g_assert (espy_log_line_has_secrets (line) == espy_log_line_has_secrets (copy));
  (void) espy_log_level_to_letter (line->level);
  (void) espy_log_level_to_nick (line->level);

  /* The same bytes as a C string, as the CLI's --level parsing sees them. */
  str = g_strndup ((const char *) data, size);
  nul_terminated = espy_log_line_parse (str, -1);
  (void) espy_log_level_from_string (str, &level);
  return 0;
}
