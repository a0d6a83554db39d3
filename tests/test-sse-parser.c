/* test-sse-parser.c: the server-sent events parser, fed every way a
 * network can cut the bytes.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-sse-parser.h"

/* What an Arduino device sends (wire doc section 4): CRLF, retry/id/event/
 * data, an empty "data: " line on keep-alive pings. */
static const char arduino_stream[] =
  "retry: 30000\r\n"
  "id: 1000\r\n"
  "event: ping\r\n"
  "data: {\"title\":\"Kitchen\",\"comment\":\"\",\"ota\":true,\"log\":true,\"lang\":\"en\"}\r\n"
  "\r\n"
  "event: state\r\n"
  "data: {\"id\":\"sensor-temperature\",\"value\":21.5,\"state\":\"21.5 °C\"}\r\n"
  "\r\n"
  "event: log\r\n"
  "data: \033[0;35m[C][wifi:345]: WiFi:\r\n"
  "data:   SSID: 'home'\r\n"
  "data:   IP: 10.0.0.7\033[0m\r\n"
  "\r\n"
  "id: 1010\r\n"
  "event: ping\r\n"
  "data: \r\n"
  "\r\n";

static GPtrArray *
parse_in_pieces (const char *stream,
                 gsize       len,
                 gsize       split_a,
                 gsize       split_b)
{
  g_autoptr(EspySseParser) parser = espy_sse_parser_new (0);
  g_autoptr(GError) error = NULL;
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_sse_event_free);
  EspySseEvent *event;

  g_assert_true (espy_sse_parser_feed (parser, stream, split_a, &error));
  g_assert_no_error (error);
  g_assert_true (espy_sse_parser_feed (parser, stream + split_a, split_b - split_a, &error));
  g_assert_no_error (error);
  g_assert_true (espy_sse_parser_feed (parser, stream + split_b, len - split_b, &error));
  g_assert_no_error (error);
  while ((event = espy_sse_parser_pop (parser)) != NULL)
    g_ptr_array_add (events, event);
  return events;
}

static void
check_arduino_events (GPtrArray *events)
{
  EspySseEvent *e;

  g_assert_cmpuint (events->len, ==, 4);

  e = events->pdata[0];
  g_assert_cmpstr (e->event, ==, "ping");
  g_assert_cmpstr (e->id, ==, "1000");
  g_assert_cmpint (e->retry, ==, 30000);
  g_assert_cmpstr (e->data, ==, "{\"title\":\"Kitchen\",\"comment\":\"\",\"ota\":true,\"log\":true,\"lang\":\"en\"}");

  e = events->pdata[1];
  g_assert_cmpstr (e->event, ==, "state");
  g_assert_cmpstr (e->id, ==, "1000");
  g_assert_cmpint (e->retry, ==, -1);
  g_assert_cmpstr (e->data, ==, "{\"id\":\"sensor-temperature\",\"value\":21.5,\"state\":\"21.5 °C\"}");

  e = events->pdata[2];
  g_assert_cmpstr (e->event, ==, "log");
  g_assert_cmpstr (e->data, ==, "\033[0;35m[C][wifi:345]: WiFi:\n  SSID: 'home'\n  IP: 10.0.0.7\033[0m");

  /* Arduino's keep-alive: an empty data line is data "", not no data. */
  e = events->pdata[3];
  g_assert_cmpstr (e->event, ==, "ping");
  g_assert_cmpstr (e->id, ==, "1010");
  g_assert_nonnull (e->data);
  g_assert_cmpstr (e->data, ==, "");
}

static void
test_whole (void)
{
  g_autoptr(GPtrArray) events = parse_in_pieces (arduino_stream, strlen (arduino_stream), 0, 0);

  check_arduino_events (events);
}

/* Every cut of the stream into two and three pieces gives the same events. */
static void
test_every_split (void)
{
  gsize len = strlen (arduino_stream);

  for (gsize a = 0; a <= len; a++)
    {
      g_autoptr(GPtrArray) events = parse_in_pieces (arduino_stream, len, a, a);

      check_arduino_events (events);
    }

  for (gsize a = 0; a <= len; a += 7)
    for (gsize b = a; b <= len; b += 3)
      {
        g_autoptr(GPtrArray) events = parse_in_pieces (arduino_stream, len, a, b);

        check_arduino_events (events);
      }
}

/* One byte at a time, as the slowest network would deliver it. */
static void
test_byte_by_byte (void)
{
  g_autoptr(EspySseParser) parser = espy_sse_parser_new (0);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_sse_event_free);
  EspySseEvent *event;

  for (gsize i = 0; arduino_stream[i] != '\0'; i++)
    {
      g_assert_true (espy_sse_parser_feed (parser, arduino_stream + i, 1, NULL));
      while ((event = espy_sse_parser_pop (parser)) != NULL)
        g_ptr_array_add (events, event);
    }
  check_arduino_events (events);
}

static char *
replace_line_endings (const char *crlf_text,
                      const char *ending)
{
  g_auto(GStrv) parts = g_strsplit (crlf_text, "\r\n", -1);

  return g_strjoinv (ending, parts);
}

static void
test_line_endings (void)
{
  const char *endings[] = { "\n", "\r", "\r\n" };

  for (guint i = 0; i < G_N_ELEMENTS (endings); i++)
    {
      g_autofree char *stream = replace_line_endings (arduino_stream, endings[i]);
      gsize len = strlen (stream);

      for (gsize a = 0; a <= len; a++)
        {
          g_autoptr(GPtrArray) events = parse_in_pieces (stream, len, a, a);

          check_arduino_events (events);
        }
    }
}

/* A stream mixing endings line by line is still one stream. */
static void
test_mixed_line_endings (void)
{
  static const char stream[] = "event: log\r\ndata: a\ndata: b\rdata: c\r\n\n"
                               "event: log\rdata: d\r\r";
  g_autoptr(GPtrArray) events = parse_in_pieces (stream, strlen (stream), 0, 0);
  EspySseEvent *e;

  g_assert_cmpuint (events->len, ==, 2);
  e = events->pdata[0];
  g_assert_cmpstr (e->data, ==, "a\nb\nc");
  e = events->pdata[1];
  g_assert_cmpstr (e->data, ==, "d");
}

/* ESP-IDF pings have no data line at all: still an event, data NULL. */
static void
test_esp_idf_ping (void)
{
  static const char stream[] = "event: ping\r\nid: 7\r\n\r\n";
  g_autoptr(GPtrArray) events = parse_in_pieces (stream, strlen (stream), 5, 14);
  EspySseEvent *e;

  g_assert_cmpuint (events->len, ==, 1);
  e = events->pdata[0];
  g_assert_cmpstr (e->event, ==, "ping");
  g_assert_null (e->data);
  g_assert_cmpstr (e->id, ==, "7");
  g_assert_cmpint (e->retry, ==, -1);
}

static void
test_fields (void)
{
  /* Comments are ignored; "data" without a colon is an empty data line;
   * "data:x" has no space to strip, "data:  x" keeps one; unknown fields and
   * a bad retry are ignored; blank lines with nothing pending dispatch
   * nothing; an event without a name is a "message". */
  static const char stream[] =
    ": keep-alive comment\r\n"
    "\r\n\r\n"
    "data\r\n"
    "data:x\r\n"
    "data:  y\r\n"
    "foo: bar\r\n"
    "retry: 12a\r\n"
    "\r\n"
    "retry: 5\r\n"
    "event: log\r\n"
    ": between\r\n"
    "data: z\r\n"
    "\r\n"
    "data: unterminated";
  g_autoptr(GPtrArray) events = parse_in_pieces (stream, strlen (stream), 0, 0);
  EspySseEvent *e;

  g_assert_cmpuint (events->len, ==, 2);
  e = events->pdata[0];
  g_assert_cmpstr (e->event, ==, "message");
  g_assert_cmpstr (e->data, ==, "\nx\n y");
  g_assert_cmpint (e->retry, ==, -1);
  g_assert_null (e->id);
  e = events->pdata[1];
  g_assert_cmpstr (e->event, ==, "log");
  g_assert_cmpstr (e->data, ==, "z");
  g_assert_cmpint (e->retry, ==, 5);
}

static void
test_bom (void)
{
  static const char stream[] = "\xEF\xBB\xBF" "event: ping\r\ndata: 1\r\n\r\n";
  gsize len = strlen (stream);

  for (gsize a = 0; a <= len; a++)
    {
      g_autoptr(GPtrArray) events = parse_in_pieces (stream, len, a, a);
      EspySseEvent *e;

      g_assert_cmpuint (events->len, ==, 1);
      e = events->pdata[0];
      g_assert_cmpstr (e->event, ==, "ping");
      g_assert_cmpstr (e->data, ==, "1");
    }
}

static void
test_line_too_long (void)
{
  g_autoptr(EspySseParser) parser = espy_sse_parser_new (64);
  g_autoptr(GError) error = NULL;
  g_autofree char *ok_line = g_strnfill (58, 'a');
  g_autofree char *long_line = g_strnfill (30, 'b');
  g_autoptr(EspySseEvent) e = NULL;
  g_autofree char *exact = NULL;

  /* "data: " + 58 bytes = 64: exactly the limit is fine. */
  exact = g_strconcat ("data: ", ok_line, "\r\n\r\n", NULL);
  g_assert_true (espy_sse_parser_feed (parser, exact, strlen (exact), &error));
  g_assert_no_error (error);
  e = espy_sse_parser_pop (parser);
  g_assert_nonnull (e);
  g_assert_cmpstr (e->data, ==, ok_line);

  /* 65 bytes in three chunks without a line ending: refused as it grows. */
  g_assert_true (espy_sse_parser_feed (parser, "data: ", 6, &error));
  g_assert_true (espy_sse_parser_feed (parser, long_line, 30, &error));
  g_assert_no_error (error);
  g_assert_false (espy_sse_parser_feed (parser, long_line, 29, &error));
  g_assert_error (error, ESPY_SSE_ERROR, ESPY_SSE_ERROR_LINE_TOO_LONG);
  g_clear_error (&error);

  /* A broken stream stays broken until reset. */
  g_assert_false (espy_sse_parser_feed (parser, "\r\n\r\n", 4, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (espy_sse_parser_pop (parser));

  espy_sse_parser_reset (parser);
  g_assert_true (espy_sse_parser_feed (parser, "data: ok\n\n", 10, &error));
  g_assert_no_error (error);
  g_clear_pointer (&e, espy_sse_event_free);
  e = espy_sse_parser_pop (parser);
  g_assert_cmpstr (e->data, ==, "ok");
}

static void
test_event_too_large (void)
{
  g_autoptr(EspySseParser) parser = espy_sse_parser_new (16);
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  /* Short lines, but never a blank one: the event's data is bounded too. */
  for (guint i = 0; i < 1000 && ok; i++)
    ok = espy_sse_parser_feed (parser, "data: 0123456789\n", 17, &error);
  g_assert_false (ok);
  g_assert_error (error, ESPY_SSE_ERROR, ESPY_SSE_ERROR_EVENT_TOO_LARGE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sse-parser/whole", test_whole);
  g_test_add_func ("/sse-parser/every-split", test_every_split);
  g_test_add_func ("/sse-parser/byte-by-byte", test_byte_by_byte);
  g_test_add_func ("/sse-parser/line-endings", test_line_endings);
  g_test_add_func ("/sse-parser/mixed-line-endings", test_mixed_line_endings);
  g_test_add_func ("/sse-parser/esp-idf-ping", test_esp_idf_ping);
  g_test_add_func ("/sse-parser/fields", test_fields);
  g_test_add_func ("/sse-parser/bom", test_bom);
  g_test_add_func ("/sse-parser/line-too-long", test_line_too_long);
  g_test_add_func ("/sse-parser/event-too-large", test_event_too_large);

  return g_test_run ();
}
