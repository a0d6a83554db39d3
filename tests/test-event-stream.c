/* test-event-stream.c: GET /events against a scripted web server in this
 * file that streams events slowly, so the test sees each one arrive while
 * the connection is still open.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-event-stream.h"
#include "scripted-server.h"

#define USER     "admin"
#define PASSWORD "hunter2"
#define NONCE    "00112233445566778899aabbccddeeff"
#define OPAQUE   "ffeeddccbbaa99887766554433221100"

#define FIRST_PING \
  "retry: 30000\r\nid: 1\r\nevent: ping\r\n" \
  "data: {\"title\":\"Kitchen\",\"comment\":\"Sensors\",\"ota\":true,\"log\":true,\"lang\":\"en\"}\r\n\r\n"
#define STATE_EVENT \
  "id: 2\r\nevent: state\r\ndata: {\"id\":\"sensor-temperature\",\"value\":21.5,\"state\":\"21.5 °C\"}\r\n\r\n"
#define LOG_EVENT \
  "id: 3\r\nevent: log\r\ndata: \033[0;35m[C][wifi:443]: WiFi:\r\ndata:   SSID: \033[5m'home'\033[6m\033[0m\r\n\r\n"
#define ARDUINO_PING "id: 4\r\nevent: ping\r\ndata: \r\n\r\n"
#define ESP_IDF_PING "event: ping\r\n\r\n"

typedef enum {
  SCRIPT_ARDUINO,        /* four events, waiting for the client to see the first */
  SCRIPT_ESP_IDF_SLOW,   /* the same, written one byte at a time, pings without data */
  SCRIPT_DIGEST_ONLY,    /* 401 Digest unless a valid Digest answer */
  SCRIPT_NOT_FOUND,
  SCRIPT_NOT_EVENTS,     /* 200 text/html */
  SCRIPT_STALL,          /* one ping, then silence */
  SCRIPT_LONG_LINE,      /* a 70 KiB line */
} Script;

typedef struct
{
  ScriptedServer base;  /* first: the serve function is given it */
  Script script;

  gboolean client_saw_first;    /* set by the test when the first event arrived */
  gboolean saw_first_before_close;
  GPtrArray *heads;             /* request heads */
} Server;

static char *
md5_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

static char *
dup_header (const char *head,
            const char *name)
{
  g_autofree char *needle = g_strdup_printf ("\r\n%s: ", name);
  const char *p = strstr (head, needle);

  if (p == NULL)
    return NULL;
  p += strlen (needle);
  return g_strndup (p, strcspn (p, "\r"));
}

/* As an Arduino device parses it: split on ", " exactly. */
static gboolean
arduino_check_digest (const char *header,
                      const char *method,
                      const char *uri)
{
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) parts = NULL;
  g_autofree char *ha1_in = NULL;
  g_autofree char *ha1 = NULL;
  g_autofree char *ha2_in = NULL;
  g_autofree char *ha2 = NULL;
  g_autofree char *response_in = NULL;
  g_autofree char *expected = NULL;

  if (header == NULL || !g_str_has_prefix (header, "Digest "))
    return FALSE;
  parts = g_strsplit (header + 7, ", ", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *eq = strchr (parts[i], '=');
      char *value;
      gsize n;

      if (eq == NULL)
        return FALSE;
      value = g_strdup (eq + 1);
      n = strlen (value);
      if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
        {
          memmove (value, value + 1, n - 2);
          value[n - 2] = '\0';
        }
      g_hash_table_replace (params, g_strndup (parts[i], eq - parts[i]), value);
    }
  if (g_strcmp0 (g_hash_table_lookup (params, "username"), USER) != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "realm"), "asyncesp") != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "nonce"), NONCE) != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "opaque"), OPAQUE) != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "uri"), uri) != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "qop"), "auth") != 0 ||
      !g_hash_table_contains (params, "nc") || !g_hash_table_contains (params, "cnonce"))
    return FALSE;

  ha1_in = g_strdup_printf ("%s:asyncesp:%s", USER, PASSWORD);
  ha1 = md5_hex (ha1_in);
  ha2_in = g_strdup_printf ("%s:%s", method, uri);
  ha2 = md5_hex (ha2_in);
  response_in = g_strdup_printf ("%s:%s:%s:%s:auth:%s", ha1, NONCE,
                                 (char *) g_hash_table_lookup (params, "nc"),
                                 (char *) g_hash_table_lookup (params, "cnonce"), ha2);
  expected = md5_hex (response_in);
  return g_strcmp0 (g_hash_table_lookup (params, "response"), expected) == 0;
}

static gboolean
send_text (GSocket    *socket,
           const char *text)
{
  gsize len = strlen (text);

  while (len > 0)
    {
      gssize n = g_socket_send (socket, text, len, NULL, NULL);

      if (n <= 0)
        return FALSE;
      text += n;
      len -= n;
    }
  return TRUE;
}

static void
send_slowly (GSocket    *socket,
             const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_socket_send (socket, p, 1, NULL, NULL) != 1)
        return;
      g_usleep (300);
    }
}

static char *
read_head (GSocket *socket)
{
  g_autoptr(GString) head = g_string_new (NULL);
  char c;

  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      if (g_socket_receive (socket, &c, 1, NULL, NULL) != 1)
        return NULL;
      g_string_append_c (head, c);
    }
  return g_string_free (g_steal_pointer (&head), FALSE);
}

/* Waits (up to 5 s) for the test to report the first event, and records
 * whether it came while this connection was still open. */
static void
wait_for_client (Server *server)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_mutex_lock (&server->base.lock);
  while (!server->client_saw_first && !server->base.stop)
    if (!g_cond_wait_until (&server->base.cond, &server->base.lock, deadline))
      break;
  server->saw_first_before_close = server->client_saw_first;
  g_mutex_unlock (&server->base.lock);
}

/* Keeps the connection open and silent until the test ends or the client
 * hangs up (so the next connection gets served). */
static void
hold (Server  *server,
      GSocket *socket)
{
  for (;;)
    {
      gboolean stop;
      char c;

      g_mutex_lock (&server->base.lock);
      stop = server->base.stop;
      g_mutex_unlock (&server->base.lock);
      if (stop)
        return;
      if (g_socket_condition_timed_wait (socket, G_IO_IN | G_IO_HUP, 20000, NULL, NULL) &&
          g_socket_receive (socket, &c, 1, NULL, NULL) <= 0)
        return;
    }
}

static const char stream_head[] =
  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
  "Connection: keep-alive\r\n\r\n";

static void
serve_one (ScriptedServer *base,
           GSocket        *socket)
{
  Server *server = (Server *) base;
  g_autofree char *head = read_head (socket);
  g_autofree char *authorization = NULL;

  if (head == NULL)
    return;
  g_mutex_lock (&server->base.lock);
  g_ptr_array_add (server->heads, g_strdup (head));
  g_mutex_unlock (&server->base.lock);
  g_assert_true (g_str_has_prefix (head, "GET /events HTTP/1.1\r\n"));

  switch (server->script)
    {
    case SCRIPT_ARDUINO:
      send_text (socket, stream_head);
      send_text (socket, FIRST_PING);
      wait_for_client (server);
      send_text (socket, STATE_EVENT);
      g_usleep (20000);
      send_text (socket, LOG_EVENT);
      g_usleep (20000);
      send_text (socket, ARDUINO_PING);
      break;

    case SCRIPT_ESP_IDF_SLOW:
      send_text (socket, stream_head);
      send_slowly (socket, ": hello\r\n" FIRST_PING);
      wait_for_client (server);
      send_slowly (socket, STATE_EVENT LOG_EVENT ESP_IDF_PING);
      break;

    case SCRIPT_DIGEST_ONLY:
      authorization = dup_header (head, "Authorization");
      if (!arduino_check_digest (authorization, "GET", "/events"))
        {
          send_text (socket, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"asyncesp\", "
                             "qop=\"auth\", nonce=\"" NONCE "\", opaque=\"" OPAQUE "\"\r\n"
                             "Content-Length: 0\r\nConnection: close\r\n\r\n");
          return;
        }
      send_text (socket, stream_head);
      send_text (socket, FIRST_PING);
      wait_for_client (server);
      break;

    case SCRIPT_NOT_FOUND:
      send_text (socket, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nNot Found");
      break;

    case SCRIPT_NOT_EVENTS:
      send_text (socket, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n"
                         "Connection: close\r\n\r\n<html>");
      break;

    case SCRIPT_STALL:
      send_text (socket, stream_head);
      send_text (socket, FIRST_PING);
      hold (server, socket);
      break;

    case SCRIPT_LONG_LINE:
      {
        g_autofree char *line = g_strnfill (70 * 1024, 'x');

        send_text (socket, stream_head);
        send_text (socket, FIRST_PING);
        send_text (socket, "event: log\r\ndata: ");
        send_text (socket, line);
        send_text (socket, "\r\n\r\n");
        /* Hold the connection: the client must stop on its own. */
        hold (server, socket);
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

static Server *
server_new (Script script)
{
  Server *server = g_new0 (Server, 1);

  server->script = script;
  server->heads = g_ptr_array_new_with_free_func (g_free);
  scripted_server_start (&server->base, "scripted-events", serve_one);
  return server;
}

static void
server_free (Server *server)
{
  scripted_server_stop (&server->base);
  g_ptr_array_unref (server->heads);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

static void
server_client_saw_first (Server *server)
{
  g_mutex_lock (&server->base.lock);
  server->client_saw_first = TRUE;
  g_cond_broadcast (&server->base.cond);
  g_mutex_unlock (&server->base.lock);
}

/* --- the client side --------------------------------------------------------- */

typedef struct
{
  Server *server;
  GMainLoop *loop;
  gboolean connected;
  gboolean connect_done;
  GError *connect_error;
  GPtrArray *log;        /* "ping:<title or empty>", "state:<id>", "log:<line>" */
  GError *closed_error;
  guint closed_count;
  gboolean close_on_first;
} Watch;

static void
on_ping (EspyEventStream *stream,
         JsonObject      *info,
         gpointer         data)
{
  Watch *w = data;

  g_ptr_array_add (w->log, g_strdup_printf ("ping:%s", info != NULL ? json_object_get_string_member (info, "title")
                                                                    : ""));
  if (w->log->len == 1)
    {
      server_client_saw_first (w->server);
      if (w->close_on_first)
        {
          espy_event_stream_close (stream);
          g_main_loop_quit (w->loop);
        }
    }
}

static void
on_state (EspyEventStream *stream,
          JsonObject      *state,
          gpointer         data)
{
  Watch *w = data;

  g_ptr_array_add (w->log, g_strdup_printf ("state:%s=%g", json_object_get_string_member (state, "id"),
                                            json_object_get_double_member (state, "value")));
}

static void
on_log (EspyEventStream *stream,
        const char      *line,
        gpointer         data)
{
  Watch *w = data;

  g_ptr_array_add (w->log, g_strdup_printf ("log:%s", line));
}

static void
on_closed (EspyEventStream *stream,
           GError          *error,
           gpointer         data)
{
  Watch *w = data;

  g_assert_nonnull (error);
  g_clear_error (&w->closed_error);
  w->closed_error = g_error_copy (error);
  w->closed_count++;
  g_assert_false (espy_event_stream_is_open (stream));
  g_main_loop_quit (w->loop);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  Watch *w = data;

  w->connected = espy_event_stream_connect_finish (ESPY_EVENT_STREAM (source), result, &w->connect_error);
  w->connect_done = TRUE;
  if (!w->connected)
    g_main_loop_quit (w->loop);
}

static EspyEventStream *
watch_start (Watch  *w,
             Server *server)
{
  EspyEventStream *stream = espy_event_stream_new ("127.0.0.1", server->base.port);

  memset (w, 0, sizeof *w);
  w->server = server;
  w->loop = g_main_loop_new (NULL, FALSE);
  w->log = g_ptr_array_new_with_free_func (g_free);
  espy_event_stream_set_timeouts (stream, 5000, 10000);
  g_signal_connect (stream, "ping", G_CALLBACK (on_ping), w);
  g_signal_connect (stream, "state", G_CALLBACK (on_state), w);
  g_signal_connect (stream, "log", G_CALLBACK (on_log), w);
  g_signal_connect (stream, "closed", G_CALLBACK (on_closed), w);
  return stream;
}

static void
watch_run (Watch           *w,
           EspyEventStream *stream)
{
  espy_event_stream_connect_async (stream, NULL, on_connected, w);
  g_main_loop_run (w->loop);
}

static void
watch_clear (Watch *w)
{
  g_clear_pointer (&w->loop, g_main_loop_unref);
  g_clear_pointer (&w->log, g_ptr_array_unref);
  g_clear_error (&w->connect_error);
  g_clear_error (&w->closed_error);
}

static void
assert_log (Watch       *w,
            const char **expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MIN (n, w->log->len); i++)
    g_assert_cmpstr (w->log->pdata[i], ==, expected[i]);
  g_assert_cmpuint (w->log->len, ==, n);
}

static const char *all_events[] = {
  "ping:Kitchen",
  "state:sensor-temperature=21.5",
  "log:\033[0;35m[C][wifi:443]: WiFi:\n  SSID: \033[5m'home'\033[6m\033[0m",
  "ping:",
  NULL
};

static void
test_arduino (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_ARDUINO);
  Watch w;
  g_autoptr(EspyEventStream) stream = watch_start (&w, server);

  watch_run (&w, stream);
  g_assert_no_error (w.connect_error);
  g_assert_true (w.connected);
  /* The first event reached us while the server still held the stream. */
  g_assert_true (server->saw_first_before_close);
  assert_log (&w, all_events);
  g_assert_cmpuint (w.closed_count, ==, 1);
  g_assert_error (w.closed_error, ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_CLOSED);
  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 1);
  g_assert_nonnull (strstr (server->heads->pdata[0], "\r\nAccept: text/event-stream\r\n"));
  g_assert_null (strstr (server->heads->pdata[0], "Authorization"));
  watch_clear (&w);
}

static void
test_esp_idf_slow (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_ESP_IDF_SLOW);
  Watch w;
  g_autoptr(EspyEventStream) stream = watch_start (&w, server);

  watch_run (&w, stream);
  g_assert_true (server->saw_first_before_close);
  assert_log (&w, all_events);
  g_assert_cmpuint (w.closed_count, ==, 1);
  watch_clear (&w);
}

static void
test_digest (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_DIGEST_ONLY);
  Watch w;
  g_autoptr(EspyEventStream) stream = watch_start (&w, server);
  g_autofree char *basic = NULL;
  g_autofree char *digest = NULL;

  espy_event_stream_set_credentials (stream, USER, PASSWORD);
  watch_run (&w, stream);
  g_assert_no_error (w.connect_error);
  g_assert_cmpuint (w.log->len, ==, 1);
  g_assert_cmpstr (w.log->pdata[0], ==, "ping:Kitchen");
  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 2);
  basic = dup_header (server->heads->pdata[0], "Authorization");
  g_assert_cmpstr (basic, ==, "Basic YWRtaW46aHVudGVyMg==");
  digest = dup_header (server->heads->pdata[1], "Authorization");
  g_assert_true (arduino_check_digest (digest, "GET", "/events"));
  watch_clear (&w);
}

static void
test_wrong_credentials (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_DIGEST_ONLY);
  Watch w;
  g_autoptr(EspyEventStream) stream = watch_start (&w, server);

  espy_event_stream_set_credentials (stream, USER, "wrong");
  watch_run (&w, stream);
  g_assert_error (w.connect_error, ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_WRONG_CREDENTIALS);
  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 2);
  g_assert_cmpuint (w.closed_count, ==, 0);
  watch_clear (&w);
}

static void
test_http_errors (void)
{
  const struct {
    Script script;
    EspyEventStreamError code;
  } cases[] = {
    { SCRIPT_NOT_FOUND, ESPY_EVENT_STREAM_ERROR_NOT_FOUND },
    { SCRIPT_NOT_EVENTS, ESPY_EVENT_STREAM_ERROR_UNEXPECTED_RESPONSE },
    { SCRIPT_DIGEST_ONLY, ESPY_EVENT_STREAM_ERROR_AUTH_REQUIRED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Server) server = server_new (cases[i].script);
      Watch w;
      g_autoptr(EspyEventStream) stream = watch_start (&w, server);

      watch_run (&w, stream);
      g_assert_error (w.connect_error, ESPY_EVENT_STREAM_ERROR, (gint) cases[i].code);
      g_assert_false (espy_event_stream_is_open (stream));
      watch_clear (&w);
    }
}

static void
test_idle_timeout (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_STALL);
  Watch w;
  g_autoptr(EspyEventStream) stream = watch_start (&w, server);

  espy_event_stream_set_timeouts (stream, 5000, 300);
  watch_run (&w, stream);
  g_assert_true (w.connected);
  g_assert_cmpuint (w.log->len, ==, 1);
  g_assert_error (w.closed_error, ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_TIMEOUT);
  watch_clear (&w);
}

static void
test_long_line (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_LONG_LINE);
  Watch w;
  g_autoptr(EspyEventStream) stream = watch_start (&w, server);

  watch_run (&w, stream);
  g_assert_cmpuint (w.log->len, ==, 1);
  g_assert_error (w.closed_error, ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_PROTOCOL);
  watch_clear (&w);
}

/* close() from a handler stops the stream without ::closed; dropping the
 * object with a read pending is safe too. */
static void
test_close_and_drop (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_STALL);
  Watch w;
  g_autoptr(EspyEventStream) stream = watch_start (&w, server);
  EspyEventStream *dropped;
  Watch w2;

  w.close_on_first = TRUE;
  watch_run (&w, stream);
  g_assert_cmpuint (w.log->len, ==, 1);
  g_assert_false (espy_event_stream_is_open (stream));
  /* Let the cancelled read come back: still no ::closed. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_usleep (50000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (w.closed_count, ==, 0);
  watch_clear (&w);

  dropped = watch_start (&w2, server);
  w2.close_on_first = FALSE;
  espy_event_stream_connect_async (dropped, NULL, on_connected, &w2);
  while (w2.log->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (espy_event_stream_is_open (dropped));
  g_object_unref (dropped);
  g_usleep (50000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (w2.closed_count, ==, 0);
  watch_clear (&w2);
}

static void
test_cancel (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_STALL);
  Watch w;
  g_autoptr(EspyEventStream) stream = watch_start (&w, server);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  espy_event_stream_connect_async (stream, cancellable, on_connected, &w);
  while (w.log->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  g_main_loop_run (w.loop);
  g_assert_cmpuint (w.closed_count, ==, 1);
  g_assert_error (w.closed_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  watch_clear (&w);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/event-stream/arduino", test_arduino);
  g_test_add_func ("/event-stream/esp-idf-slow", test_esp_idf_slow);
  g_test_add_func ("/event-stream/digest", test_digest);
  g_test_add_func ("/event-stream/wrong-credentials", test_wrong_credentials);
  g_test_add_func ("/event-stream/http-errors", test_http_errors);
  g_test_add_func ("/event-stream/idle-timeout", test_idle_timeout);
  g_test_add_func ("/event-stream/long-line", test_long_line);
  g_test_add_func ("/event-stream/close-and-drop", test_close_and_drop);
  g_test_add_func ("/event-stream/cancel", test_cancel);

  return g_test_run ();
}
