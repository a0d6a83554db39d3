/* test-log-line.c: ESPHome's formatted log lines (wire doc section 6).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-log-line.h"

static void
test_levels (void)
{
  static const struct {
    const char *raw;
    EspyLogLevel level;
    const char *letter;
  } cases[] = {
    { "\033[1;31m[E][ota:123]: Error writing flash\033[0m", ESPY_LOG_LEVEL_ERROR, "E" },
    { "\033[0;33m[W][ota:123]: Error writing flash\033[0m", ESPY_LOG_LEVEL_WARN, "W" },
    { "\033[0;32m[I][ota:123]: Error writing flash\033[0m", ESPY_LOG_LEVEL_INFO, "I" },
    { "\033[0;35m[C][ota:123]: Error writing flash\033[0m", ESPY_LOG_LEVEL_CONFIG, "C" },
    { "\033[0;36m[D][ota:123]: Error writing flash\033[0m", ESPY_LOG_LEVEL_DEBUG, "D" },
    { "\033[0;37m[V][ota:123]: Error writing flash\033[0m", ESPY_LOG_LEVEL_VERBOSE, "V" },
    { "\033[0;38m[VV][ota:123]: Error writing flash\033[0m", ESPY_LOG_LEVEL_VERY_VERBOSE, "VV" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EspyLogLine) line = espy_log_line_parse (cases[i].raw, -1);
      EspyLogLevel from_string;

      g_assert_cmpint (line->level, ==, cases[i].level);
      g_assert_cmpstr (line->tag, ==, "ota");
      g_assert_cmpuint (line->line, ==, 123);
      g_assert_null (line->task);
      g_assert_cmpstr (line->text, ==, "Error writing flash");
      g_assert_cmpuint (line->secrets->len, ==, 0);
      g_assert_false (espy_log_line_has_secrets (line));

      g_assert_cmpstr (espy_log_level_to_letter (cases[i].level), ==, cases[i].letter);
      g_assert_true (espy_log_level_from_string (cases[i].letter, &from_string));
      g_assert_cmpint (from_string, ==, cases[i].level);
      g_assert_true (espy_log_level_from_string (espy_log_level_to_nick (cases[i].level), &from_string));
      g_assert_cmpint (from_string, ==, cases[i].level);
    }
}

/* The level also follows from the colour alone (a header that lost its
 * letters), and a letter wins over a colour that disagrees. */
static void
test_level_from_colour (void)
{
  static const struct {
    const char *colour;
    EspyLogLevel level;
  } colours[] = {
    { "\033[1;31m", ESPY_LOG_LEVEL_ERROR },
    { "\033[0;33m", ESPY_LOG_LEVEL_WARN },
    { "\033[0;32m", ESPY_LOG_LEVEL_INFO },
    { "\033[0;35m", ESPY_LOG_LEVEL_CONFIG },
    { "\033[0;36m", ESPY_LOG_LEVEL_DEBUG },
    { "\033[0;37m", ESPY_LOG_LEVEL_VERBOSE },
    { "\033[0;38m", ESPY_LOG_LEVEL_VERY_VERBOSE },
  };
  g_autoptr(EspyLogLine) mixed = espy_log_line_parse ("\033[0;36m[W][x:001]: y\033[0m", -1);
  EspyLogLevel level;

  for (guint i = 0; i < G_N_ELEMENTS (colours); i++)
    {
      g_autofree char *raw = g_strconcat (colours[i].colour, "free text\033[0m", NULL);
      g_autoptr(EspyLogLine) line = espy_log_line_parse (raw, -1);

      g_assert_cmpint (line->level, ==, colours[i].level);
      g_assert_null (line->tag);
      g_assert_cmpstr (line->text, ==, "free text");
    }

  g_assert_cmpint (mixed->level, ==, ESPY_LOG_LEVEL_WARN);
  g_assert_false (espy_log_level_from_string ("loud", &level));
  g_assert_cmpint (level, ==, ESPY_LOG_LEVEL_NONE);
}

static void
test_line_number (void)
{
  g_autoptr(EspyLogLine) padded = espy_log_line_parse ("\033[0;32m[I][app:005]: Running\033[0m", -1);
  g_autoptr(EspyLogLine) big = espy_log_line_parse ("\033[0;32m[I][api.connection:1234]: x\033[0m", -1);
  g_autoptr(EspyLogLine) dotted = espy_log_line_parse ("\033[0;32m[I][esphome.ota:029]: Boot seems successful\033[0m", -1);
  g_autoptr(EspyLogLine) old = espy_log_line_parse ("\033[0;32m[I][app]: Running\033[0m", -1);

  g_assert_cmpstr (padded->tag, ==, "app");
  g_assert_cmpuint (padded->line, ==, 5);
  g_assert_cmpstr (big->tag, ==, "api.connection");
  g_assert_cmpuint (big->line, ==, 1234);
  g_assert_cmpstr (dotted->tag, ==, "esphome.ota");
  g_assert_cmpuint (dotted->line, ==, 29);
  g_assert_cmpstr (dotted->text, ==, "Boot seems successful");
  /* Firmware without line numbers. */
  g_assert_cmpstr (old->tag, ==, "app");
  g_assert_cmpuint (old->line, ==, 0);
  g_assert_cmpstr (old->text, ==, "Running");
}

static void
test_task (void)
{
  g_autoptr(EspyLogLine) line =
    espy_log_line_parse ("\033[0;36m[D][sensor:094]\033[1;31m[loopTask]\033[0;36m: 'Temperature': Sending state 21.50000 °C"
                         "\033[0m", -1);
  g_autoptr(EspyLogLine) warn =
    espy_log_line_parse ("\033[0;33m[W][component:237]\033[1;31m[wifi]\033[0;33m: Component took a long time\033[0m", -1);

  g_assert_cmpint (line->level, ==, ESPY_LOG_LEVEL_DEBUG);
  g_assert_cmpstr (line->tag, ==, "sensor");
  g_assert_cmpuint (line->line, ==, 94);
  g_assert_cmpstr (line->task, ==, "loopTask");
  g_assert_cmpstr (line->text, ==, "'Temperature': Sending state 21.50000 °C");

  g_assert_cmpint (warn->level, ==, ESPY_LOG_LEVEL_WARN);
  g_assert_cmpstr (warn->task, ==, "wifi");
  g_assert_cmpstr (warn->text, ==, "Component took a long time");
}

static void
test_secrets (void)
{
  g_autoptr(EspyLogLine) line =
    espy_log_line_parse ("\033[0;35m[C][wifi:350]:   SSID: \033[5m'home'\033[6m, BSSID \033[5mAA:BB\033[6m\033[0m", -1);
  g_autoptr(EspyLogLine) copy = NULL;
  g_autofree char *masked = NULL;
  g_autofree char *masked_copy = NULL;
  EspyLogRange r;

  g_assert_cmpstr (line->text, ==, "  SSID: 'home', BSSID AA:BB");
  g_assert_true (espy_log_line_has_secrets (line));
  g_assert_cmpuint (line->secrets->len, ==, 2);
  r = g_array_index (line->secrets, EspyLogRange, 0);
  g_assert_cmpuint (r.start, ==, 8);
  g_assert_cmpuint (r.end, ==, 14);
  g_assert_cmpint (strncmp (line->text + r.start, "'home'", r.end - r.start), ==, 0);
  r = g_array_index (line->secrets, EspyLogRange, 1);
  g_assert_cmpint (strncmp (line->text + r.start, "AA:BB", r.end - r.start), ==, 0);
  g_assert_cmpuint (r.end, ==, strlen (line->text));

  masked = espy_log_line_dup_text_masked (line, "••••");
  g_assert_cmpstr (masked, ==, "  SSID: ••••, BSSID ••••");

  /* The boxed copy carries the ranges too. */
  copy = g_boxed_copy (ESPY_TYPE_LOG_LINE, line);
  masked_copy = espy_log_line_dup_text_masked (copy, "*");
  g_assert_cmpstr (masked_copy, ==, "  SSID: *, BSSID *");
  g_assert_cmpstr (copy->tag, ==, "wifi");
}

/* A line cut inside a secret hides everything after the marker. */
static void
test_secret_cut (void)
{
  g_autoptr(EspyLogLine) line = espy_log_line_parse ("\033[0;35m[C][api:100]:   Key: \033[5mAbCdEf", -1);
  g_autofree char *masked = espy_log_line_dup_text_masked (line, "…");

  g_assert_cmpstr (line->text, ==, "  Key: AbCdEf");
  g_assert_cmpstr (masked, ==, "  Key: …");
}

static void
test_config_dump (void)
{
  static const char raw[] =
    "\033[0;35m[C][wifi:443]: WiFi:\n"
    "  Local MAC: \033[5mAC:BC:32:89:0E:A9\033[6m\n"
    "  SSID: \033[5m'home'\033[6m\n"
    "  IP Address: 10.0.0.7\033[0m";
  g_autoptr(EspyLogLine) line = espy_log_line_parse (raw, -1);
  g_autofree char *masked = espy_log_line_dup_text_masked (line, "***");

  g_assert_cmpint (line->level, ==, ESPY_LOG_LEVEL_CONFIG);
  g_assert_cmpstr (line->tag, ==, "wifi");
  g_assert_cmpuint (line->line, ==, 443);
  g_assert_cmpstr (line->text, ==,
                   "WiFi:\n  Local MAC: AC:BC:32:89:0E:A9\n  SSID: 'home'\n  IP Address: 10.0.0.7");
  g_assert_cmpuint (line->secrets->len, ==, 2);
  g_assert_cmpstr (masked, ==, "WiFi:\n  Local MAC: ***\n  SSID: ***\n  IP Address: 10.0.0.7");
}

/* The device cuts long lines at a byte count, sometimes inside a character,
 * and then the closing colour is missing too. */
static void
test_cut_utf8 (void)
{
  static const char raw[] = "\033[0;36m[D][sensor:094]: 21.5 \xC2\xB0" "C";
  g_autoptr(EspyLogLine) whole = espy_log_line_parse (raw, -1);
  /* Cut after the first byte of the degree sign. */
  g_autoptr(EspyLogLine) cut = espy_log_line_parse (raw, strlen (raw) - 2);
  /* Invalid bytes in the middle. */
  g_autoptr(EspyLogLine) junk = espy_log_line_parse ("\033[0;32m[I][x:001]: a\xFF" "b\033[0m", -1);

  g_assert_cmpstr (whole->text, ==, "21.5 °C");
  g_assert_true (g_utf8_validate (cut->text, -1, NULL));
  g_assert_true (g_str_has_prefix (cut->text, "21.5 "));
  g_assert_cmpstr (cut->tag, ==, "sensor");
  g_assert_true (g_utf8_validate (junk->text, -1, NULL));
  g_assert_cmpstr (junk->text, ==, "a\xEF\xBF\xBD" "b");
}

static void
test_not_esphome (void)
{
  g_autoptr(EspyLogLine) plain = espy_log_line_parse ("Just some text", -1);
  g_autoptr(EspyLogLine) brackets = espy_log_line_parse ("[X][not:a]: level", -1);
  g_autoptr(EspyLogLine) unfinished = espy_log_line_parse ("\033[0;32m[I][wifi:0", -1);
  g_autoptr(EspyLogLine) empty = espy_log_line_parse ("", 0);
  g_autoptr(EspyLogLine) null_line = espy_log_line_parse (NULL, 0);
  g_autoptr(EspyLogLine) stray = espy_log_line_parse ("a\033b\033[", -1);

  g_assert_cmpint (plain->level, ==, ESPY_LOG_LEVEL_NONE);
  g_assert_null (plain->tag);
  g_assert_cmpstr (plain->text, ==, "Just some text");
  g_assert_cmpint (brackets->level, ==, ESPY_LOG_LEVEL_NONE);
  g_assert_cmpstr (brackets->text, ==, "[X][not:a]: level");
  /* A header cut short: the level is known, the rest stays text. */
  g_assert_cmpint (unfinished->level, ==, ESPY_LOG_LEVEL_INFO);
  g_assert_null (unfinished->tag);
  g_assert_cmpstr (unfinished->text, ==, "[I][wifi:0");
  g_assert_cmpstr (empty->text, ==, "");
  g_assert_cmpstr (null_line->text, ==, "");
  g_assert_cmpstr (stray->text, ==, "ab");
}

static void
test_troubleshooting_lines (void)
{
  g_autoptr(EspyLogLine) safe = espy_log_line_parse ("\033[1;31m[E][safe_mode:079]: SAFE MODE IS ACTIVE\033[0m", -1);
  g_autoptr(EspyLogLine) rollback =
    espy_log_line_parse ("\033[0;33m[W][ota:050]: OTA rollback detected! Rolled back from partition 'app1'\033[0m", -1);

  g_assert_cmpint (safe->level, ==, ESPY_LOG_LEVEL_ERROR);
  g_assert_cmpstr (safe->tag, ==, "safe_mode");
  g_assert_cmpstr (safe->text, ==, "SAFE MODE IS ACTIVE");
  g_assert_cmpstr (rollback->tag, ==, "ota");
  g_assert_true (g_str_has_prefix (rollback->text, "OTA rollback detected"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/log-line/levels", test_levels);
  g_test_add_func ("/log-line/level-from-colour", test_level_from_colour);
  g_test_add_func ("/log-line/line-number", test_line_number);
  g_test_add_func ("/log-line/task", test_task);
  g_test_add_func ("/log-line/secrets", test_secrets);
  g_test_add_func ("/log-line/secret-cut", test_secret_cut);
  g_test_add_func ("/log-line/config-dump", test_config_dump);
  g_test_add_func ("/log-line/cut-utf8", test_cut_utf8);
  g_test_add_func ("/log-line/not-esphome", test_not_esphome);
  g_test_add_func ("/log-line/troubleshooting", test_troubleshooting_lines);

  return g_test_run ();
}
