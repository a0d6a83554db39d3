/* test-log-buffer.c: EspyLogBuffer: bounds, config-dump grouping, the
 * filtered GListModel view and its items-changed signals.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-log-buffer.h"

#define ESC "\033"

static char *
fmt (char        level,
     const char *tag,
     guint       line,
     const char *text)
{
  const char *colour;

  switch (level)
    {
    case 'E': colour = "1;31"; break;
    case 'W': colour = "0;33"; break;
    case 'I': colour = "0;32"; break;
    case 'C': colour = "0;35"; break;
    case 'D': colour = "0;36"; break;
    case 'V': colour = "0;37"; break;
    default: colour = "0;38"; break;
    }
  return g_strdup_printf (ESC "[%sm[%c][%s:%03u]: %s" ESC "[0m", colour, level, tag, line, text);
}

static void
add (EspyLogBuffer *buffer,
     char           level,
     const char    *tag,
     const char    *text)
{
  g_autofree char *raw = fmt (level, tag, 42, text);

  espy_log_buffer_append (buffer, raw, NULL, 0);
}

static EspyLogEntry *
item (EspyLogBuffer *buffer,
      guint          position)
{
  return g_list_model_get_item (G_LIST_MODEL (buffer), position);
}

static const char *
text_at (EspyLogBuffer *buffer,
         guint          position)
{
  g_autoptr(EspyLogEntry) entry = item (buffer, position);

  g_assert_nonnull (entry);
  /* Interned for the test's convenience: entries are snapshots. */
  return g_intern_string (espy_log_entry_get_text (entry));
}

/* Records items-changed and checks each against the model's new size. */
typedef struct {
  GString *log;
  guint n;     /* the view's size as tracked from the signals */
} Changes;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changes    *c)
{
  g_assert_cmpuint (position + removed, <=, c->n);
  c->n = c->n - removed + added;
  g_assert_cmpuint (c->n, ==, g_list_model_get_n_items (model));
  g_string_append_printf (c->log, "%u-%u+%u ", position, removed, added);
}

static void
test_basics (void)
{
  g_autoptr(EspyLogBuffer) buffer = espy_log_buffer_new (0);
  g_autoptr(EspyLogEntry) entry = NULL;
  g_autofree char *line = NULL;
  g_autofree char *header = NULL;
  gboolean bold = FALSE;

  g_assert_cmpuint (espy_log_buffer_get_max_lines (buffer), ==, 100000);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (buffer)) == ESPY_TYPE_LOG_ENTRY);
  espy_log_buffer_append (buffer, ESC "[1;31m[E][wifi:007]" ESC "[1;31m[loopTask]" ESC "[1;31m: pw "
                          ESC "[5mhunter2" ESC "[6m bad" ESC "[0m", NULL, G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 1);
  entry = item (buffer, 0);
  g_assert_cmpint (espy_log_entry_get_level (entry), ==, ESPY_LOG_LEVEL_ERROR);
  g_assert_cmpstr (espy_log_entry_get_tag (entry), ==, "wifi");
  g_assert_cmpuint (espy_log_entry_get_line (entry), ==, 7);
  g_assert_cmpstr (espy_log_entry_get_task (entry), ==, "loopTask");
  g_assert_cmpstr (espy_log_entry_get_text (entry), ==, "pw hunter2 bad");
  g_assert_cmpuint (espy_log_entry_get_colour (entry, &bold), ==, 31);
  g_assert_true (bold);
  g_assert_cmpuint (espy_log_entry_get_seq (entry), ==, 0);
  g_assert_cmpint (espy_log_entry_get_time (entry), ==, G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC);

  line = espy_log_entry_format (entry, FALSE, "••••");
  g_assert_cmpstr (line, ==, "[E][wifi:007][loopTask]: pw •••• bad");
  g_clear_pointer (&line, g_free);
  line = espy_log_entry_format (entry, FALSE, NULL);
  g_assert_cmpstr (line, ==, "[E][wifi:007][loopTask]: pw hunter2 bad");
  g_clear_pointer (&line, g_free);
  line = espy_log_entry_format (entry, TRUE, "••••");
  g_assert_true (g_regex_match_simple ("^\\d\\d:\\d\\d:\\d\\d\\.000 \\[E\\]", line, 0, 0));
  header = espy_log_entry_format_header (entry);
  g_assert_cmpstr (header, ==, "[E][wifi:007][loopTask]: ");

  /* A line in no known format is kept as it is, without a level. */
  espy_log_buffer_append (buffer, "rst:0x1 (POWERON_RESET)", NULL, 0);
  g_clear_object (&entry);
  entry = item (buffer, 1);
  g_assert_cmpint (espy_log_entry_get_level (entry), ==, ESPY_LOG_LEVEL_NONE);
  g_assert_null (espy_log_entry_get_tag (entry));
  g_assert_cmpuint (espy_log_entry_get_colour (entry, NULL), ==, 0);
  g_clear_pointer (&line, g_free);
  line = espy_log_entry_format (entry, FALSE, NULL);
  g_assert_cmpstr (line, ==, "rst:0x1 (POWERON_RESET)");
  g_assert_null (item (buffer, 2));
}

static void
test_bounds (void)
{
  g_autoptr(EspyLogBuffer) buffer = espy_log_buffer_new (100);
  Changes c = { g_string_new (NULL), 0 };
  g_autoptr(EspyLogEntry) first = NULL;

  g_signal_connect (buffer, "items-changed", G_CALLBACK (on_items_changed), &c);
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *text = g_strdup_printf ("line %u", i);

      add (buffer, 'D', "t", text);
      g_assert_cmpuint (espy_log_buffer_get_n_lines (buffer), <=, 100);
    }
  g_assert_cmpuint (espy_log_buffer_get_n_entries (buffer), ==, 100);
  g_assert_cmpuint (espy_log_buffer_get_n_dropped (buffer), ==, 900);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 100);
  g_assert_cmpstr (text_at (buffer, 0), ==, "line 900");
  g_assert_cmpstr (text_at (buffer, 99), ==, "line 999");
  first = item (buffer, 0);
  g_assert_cmpuint (espy_log_entry_get_seq (first), ==, 900);
  /* Past the limit, every append adds at the end and drops at 0. */
  g_assert_true (g_str_has_suffix (c.log->str, "100-0+1 0-1+0 "));

  /* Shrinking drops the oldest at once; a multi-line entry counts its lines. */
  espy_log_buffer_set_max_lines (buffer, 10);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 10);
  g_assert_cmpstr (text_at (buffer, 0), ==, "line 990");
  espy_log_buffer_append (buffer, ESC "[0;32m[I][x:001]: a\nb\nc\nd" ESC "[0m", NULL, 0);
  g_assert_cmpuint (espy_log_buffer_get_n_lines (buffer), ==, 10);
  g_assert_cmpuint (espy_log_buffer_get_n_entries (buffer), ==, 7);

  /* One entry larger than the whole buffer is kept (alone). */
  espy_log_buffer_set_max_lines (buffer, 2);
  g_assert_cmpuint (espy_log_buffer_get_n_entries (buffer), ==, 1);
  g_assert_cmpstr (text_at (buffer, 0), ==, "a\nb\nc\nd");

  espy_log_buffer_clear (buffer);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 0);
  g_assert_cmpuint (espy_log_buffer_get_n_lines (buffer), ==, 0);
  g_string_free (c.log, TRUE);
}

static void
test_grouping (void)
{
  g_autoptr(EspyLogBuffer) buffer = espy_log_buffer_new (0);
  g_autoptr(EspyLogEntry) entry = NULL;
  Changes c = { g_string_new (NULL), 0 };
  g_autofree char *dump = NULL;
  guint n_secrets = 0;
  const EspyLogRange *secrets;

  g_signal_connect (buffer, "items-changed", G_CALLBACK (on_items_changed), &c);
  add (buffer, 'I', "app", "Running");
  add (buffer, 'C', "wifi", "WiFi:");
  add (buffer, 'C', "wifi", "  SSID: " ESC "[5mmy-net" ESC "[6m");
  add (buffer, 'C', "wifi", "  Channel: 6");
  add (buffer, 'C', "api", "API Server:");
  add (buffer, 'C', "api", "  Port: 6053");
  add (buffer, 'D', "api", "  not config");
  /* A message that holds newlines is one entry already. */
  espy_log_buffer_append (buffer, ESC "[0;35m[C][logger:100]: Logger:\n  Level: DEBUG" ESC "[0m", NULL, 0);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 5);
  g_assert_cmpstr (text_at (buffer, 1), ==, "WiFi:\n  SSID: my-net\n  Channel: 6");
  g_assert_cmpstr (text_at (buffer, 2), ==, "API Server:\n  Port: 6053");
  g_assert_cmpstr (text_at (buffer, 3), ==, "  not config");
  g_assert_cmpstr (text_at (buffer, 4), ==, "Logger:\n  Level: DEBUG");
  g_assert_cmpuint (espy_log_buffer_get_n_lines (buffer), ==, 1 + 3 + 2 + 1 + 2);
  /* A continuation replaces the last item. */
  g_assert_nonnull (strstr (c.log->str, "1-0+1 1-1+1 1-1+1 2-0+1 2-1+1 "));

  entry = item (buffer, 1);
  g_assert_cmpuint (espy_log_entry_get_n_lines (entry), ==, 3);
  secrets = espy_log_entry_get_secrets (entry, &n_secrets);
  g_assert_cmpuint (n_secrets, ==, 1);
  g_assert_cmpuint (secrets[0].end - secrets[0].start, ==, strlen ("my-net"));
  g_assert_cmpint (strncmp (espy_log_entry_get_text (entry) + secrets[0].start, "my-net", 6), ==, 0);

  dump = espy_log_buffer_dup_text (buffer, FALSE, "•••");
  g_assert_cmpstr (dump, ==,
                   "[I][app:042]: Running\n"
                   "[C][wifi:042]: WiFi:\n  SSID: •••\n  Channel: 6\n"
                   "[C][api:042]: API Server:\n  Port: 6053\n"
                   "[D][api:042]:   not config\n"
                   "[C][logger:100]: Logger:\n  Level: DEBUG\n");
  /* With timestamps, each line of a dump has its entry's, as `esphome
   * logs` prints them. */
  g_clear_pointer (&dump, g_free);
  dump = espy_log_buffer_dup_text (buffer, TRUE, "•••");
  g_assert_true (g_regex_match_simple ("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) \\[C\\]\\[wifi:042\\]: WiFi:\n"
                                       "\\1   SSID: •••\n"
                                       "\\1   Channel: 6\n"
                                       "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[C\\]\\[api:042\\]", dump, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^(\\S+) \\[C\\]\\[logger:100\\]: Logger:\n\\1   Level: DEBUG\n\\z", dump,
                                       G_REGEX_MULTILINE, 0));
  g_string_free (c.log, TRUE);
}

static void
test_filter (void)
{
  g_autoptr(EspyLogBuffer) buffer = espy_log_buffer_new (50);
  Changes c = { g_string_new (NULL), 0 };
  static const char levels[] = "EWICDVv";

  g_signal_connect (buffer, "items-changed", G_CALLBACK (on_items_changed), &c);
  for (guint i = 0; i < 70; i++)
    {
      g_autofree char *text = g_strdup_printf ("%s number %u", i % 10 == 0 ? "Sensor" : "value", i);

      add (buffer, levels[i % 7], i % 2 ? "odd" : "even", text);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 50);

  /* Level: errors and warnings only (20..69: i % 7 in {0, 1}). */
  espy_log_buffer_set_max_level (buffer, ESPY_LOG_LEVEL_WARN);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 14);
  for (guint i = 0; i < 14; i++)
    {
      g_autoptr(EspyLogEntry) entry = item (buffer, i);

      g_assert_cmpint (espy_log_entry_get_level (entry), <=, ESPY_LOG_LEVEL_WARN);
    }

  /* Lines still come in through the filter; the oldest still go. */
  g_string_truncate (c.log, 0);
  add (buffer, 'E', "odd", "new error");
  add (buffer, 'D', "odd", "new debug");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 14);
  g_assert_cmpstr (text_at (buffer, 13), ==, "new error");
  /* Dropped: line 20 (VV, not shown), then line 21 (E, shown). */
  g_assert_cmpstr (c.log->str, ==, "14-0+1 0-1+0 ");
  g_assert_cmpstr (text_at (buffer, 0), ==, "value number 22");

  /* Search, case-insensitive, over text and tag, combined with the level. */
  espy_log_buffer_set_max_level (buffer, ESPY_LOG_LEVEL_VERY_VERBOSE);
  espy_log_buffer_set_search (buffer, "SENSOR");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 4);
  g_assert_cmpstr (text_at (buffer, 0), ==, "Sensor number 30");
  espy_log_buffer_set_search (buffer, "odd");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 26);
  espy_log_buffer_set_max_level (buffer, ESPY_LOG_LEVEL_ERROR);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 4);
  g_assert_cmpstr (espy_log_buffer_get_search (buffer), ==, "odd");

  espy_log_buffer_set_search (buffer, "");
  espy_log_buffer_set_max_level (buffer, ESPY_LOG_LEVEL_VERY_VERBOSE);
  g_assert_null (espy_log_buffer_get_search (buffer));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 50);
  g_string_free (c.log, TRUE);
}

/* A dump block that becomes a match once its continuation arrives. */
static void
test_filter_grouping (void)
{
  g_autoptr(EspyLogBuffer) buffer = espy_log_buffer_new (0);
  Changes c = { g_string_new (NULL), 0 };

  g_signal_connect (buffer, "items-changed", G_CALLBACK (on_items_changed), &c);
  espy_log_buffer_set_search (buffer, "ssid");
  add (buffer, 'C', "wifi", "WiFi:");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 0);
  add (buffer, 'C', "wifi", "  SSID: home");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 1);
  add (buffer, 'C', "wifi", "  Channel: 1");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (buffer)), ==, 1);
  g_assert_cmpstr (text_at (buffer, 0), ==, "WiFi:\n  SSID: home\n  Channel: 1");
  g_assert_cmpstr (c.log->str, ==, "0-0+1 0-1+1 ");
  g_string_free (c.log, TRUE);
}

/* Memory stays flat: entries past the bound are freed (ASan/LSan and the
 * counters tell), and the ring never holds more than max-lines entries. */
static void
test_flat (void)
{
  g_autoptr(EspyLogBuffer) buffer = espy_log_buffer_new (1000);

  for (guint i = 0; i < 200000; i++)
    add (buffer, 'D', "sensor", "'Temperature': Sending state 21.50000 °C with 1 decimals of accuracy");
  g_assert_cmpuint (espy_log_buffer_get_n_entries (buffer), ==, 1000);
  g_assert_cmpuint (espy_log_buffer_get_n_dropped (buffer), ==, 199000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/log-buffer/basics", test_basics);
  g_test_add_func ("/log-buffer/bounds", test_bounds);
  g_test_add_func ("/log-buffer/grouping", test_grouping);
  g_test_add_func ("/log-buffer/filter", test_filter);
  g_test_add_func ("/log-buffer/filter-grouping", test_filter_grouping);
  g_test_add_func ("/log-buffer/flat", test_flat);
  return g_test_run ();
}
