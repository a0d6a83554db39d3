/* espy-event-stream.c: GET /events, read as it arrives.
 *
 * Each connection lives in a small reference-counted Conn that the pending
 * read holds, so the stream object can be dropped at any time: its dispose
 * cancels the read and the callback then only frees the Conn. Bytes go to
 * the SSE parser as soon as a read returns, never buffered until close.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-event-stream.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "espy-secret-string.h"
#include "espy-sse-parser.h"
#include "espy-web-ota-client.h"

#define READ_SIZE 4096

typedef struct
{
  gint ref_count;
  EspyEventStream *self;       /* NULL once the stream object let go */
  GTask *task;                 /* the connect, until it completes */
  SoupSession *session;
  SoupMessage *msg;
  GInputStream *input;
  EspySseParser *parser;
  gboolean digest_tried;
  gboolean sent_credentials;

  GCancellable *op_cancellable;
  GCancellable *user_cancellable;
  gulong user_cancel_id;
  guint watchdog_id;
  guint watchdog_ms;
  gboolean timed_out;
  gboolean closed;             /* by espy_event_stream_close() */

  char buf[READ_SIZE];
} Conn;

struct _EspyEventStream
{
  GObject parent_instance;

  char *host;
  guint16 port;
  char *user;
  char *password;
  guint connect_timeout_ms;
  guint idle_timeout_ms;

  Conn *conn;                  /* the current connection, or NULL */
};

G_DEFINE_FINAL_TYPE (EspyEventStream, espy_event_stream, G_TYPE_OBJECT)

G_DEFINE_QUARK (espy-event-stream-error-quark, espy_event_stream_error)

enum {
  SIGNAL_PING,
  SIGNAL_STATE,
  SIGNAL_LOG,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void send_request (Conn *conn, SoupMessage *previous);

/* --- connection ------------------------------------------------------------ */

static Conn *
conn_ref (Conn *conn)
{
  g_atomic_int_inc (&conn->ref_count);
  return conn;
}

static void
conn_stop (Conn *conn)
{
  g_clear_handle_id (&conn->watchdog_id, g_source_remove);
  if (conn->user_cancel_id != 0)
    {
      g_cancellable_disconnect (conn->user_cancellable, conn->user_cancel_id);
      conn->user_cancel_id = 0;
    }
  g_cancellable_cancel (conn->op_cancellable);
}

static void
conn_unref (Conn *conn)
{
  if (!g_atomic_int_dec_and_test (&conn->ref_count))
    return;
  conn_stop (conn);
  g_clear_object (&conn->user_cancellable);
  g_clear_object (&conn->op_cancellable);
  g_clear_object (&conn->input);
  g_clear_object (&conn->msg);
  if (conn->session != NULL)
    soup_session_abort (conn->session);
  g_clear_object (&conn->session);
  g_clear_pointer (&conn->parser, espy_sse_parser_free);
  g_assert (conn->task == NULL);
  g_free (conn);
}

static gboolean
watchdog_fired (gpointer data)
{
  Conn *conn = data;

  conn->watchdog_id = 0;
  conn->timed_out = TRUE;
  g_cancellable_cancel (conn->op_cancellable);
  return G_SOURCE_REMOVE;
}

static void
watchdog_arm (Conn  *conn,
              guint  ms)
{
  g_clear_handle_id (&conn->watchdog_id, g_source_remove);
  conn->watchdog_ms = ms;
  if (ms > 0)
    conn->watchdog_id = g_timeout_add (ms, watchdog_fired, conn);
}

static void
on_user_cancelled (GCancellable *cancellable,
                   gpointer      data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

/* The connect failed: complete its task. */
static void
connect_failed (Conn   *conn,
                GError *error)
{
  GTask *task = g_steal_pointer (&conn->task);
  EspyEventStream *self = conn->self;

  conn_stop (conn);
  if (self != NULL && self->conn == conn)
    {
      self->conn = NULL;
      conn_unref (conn);
    }
  g_task_return_error (task, error);
  g_object_unref (task);
}

static GError *
io_error_to_stream_error (Conn   *conn,
                          GError *io_error,
                          gboolean connected)
{
  EspyEventStream *self = conn->self;

  if (conn->timed_out)
    {
      if (!connected)
        return g_error_new (ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_TIMEOUT,
                            _("The web server at %s port %u did not answer within %u seconds."),
                            self != NULL ? self->host : "", self != NULL ? self->port : 0,
                            (conn->watchdog_ms + 999) / 1000);
      return g_error_new (ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_TIMEOUT,
                          _("The device sent nothing for %u seconds; it may be offline or busy."),
                          (conn->watchdog_ms + 999) / 1000);
    }
  if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The event stream was cancelled."));
  if (!connected)
    return g_error_new (ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_CONNECT,
                        _("Could not connect to the web server at %s port %u: %s."),
                        self != NULL ? self->host : "", self != NULL ? self->port : 0, io_error->message);
  return g_error_new (ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_CLOSED,
                      _("The connection to the device was lost: %s."), io_error->message);
}

/* --- reading --------------------------------------------------------------- */

static JsonObject *
parse_object (const char *data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (data == NULL || data[0] == '\0')
    return NULL;
  if (!json_parser_load_from_data (parser, data, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static void
dispatch (EspyEventStream *self,
          EspySseEvent    *event)
{
  if (strcmp (event->event, "ping") == 0)
    {
      g_autoptr(JsonObject) info = parse_object (event->data);

      g_signal_emit (self, signals[SIGNAL_PING], 0, info);
    }
  else if (strcmp (event->event, "state") == 0)
    {
      g_autoptr(JsonObject) state = parse_object (event->data);

      if (state != NULL)
        g_signal_emit (self, signals[SIGNAL_STATE], 0, state);
      else
        g_debug ("Ignoring a state event that is not a JSON object");
    }
  else if (strcmp (event->event, "log") == 0)
    {
      if (event->data != NULL)
        g_signal_emit (self, signals[SIGNAL_LOG], 0, event->data);
    }
  else
    g_debug ("Ignoring event “%s”", event->event);
}

/* The open stream ended: tell the user unless they ended it. */
static void
stream_ended (Conn   *conn,
              GError *error)
{
  g_autoptr(GError) owned = error;
  g_autoptr(EspyEventStream) self = conn->self != NULL ? g_object_ref (conn->self) : NULL;

  conn_stop (conn);
  if (self == NULL || conn->closed || self->conn != conn)
    return;
  self->conn = NULL;
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, owned);
  conn_unref (conn);
}

static void read_more (Conn *conn);

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Conn *conn = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyEventStream) self = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (conn->self == NULL || conn->closed)
    {
      conn_unref (conn);
      return;
    }
  if (n < 0)
    {
      stream_ended (conn, io_error_to_stream_error (conn, error, TRUE));
      conn_unref (conn);
      return;
    }
  if (n == 0)
    {
      stream_ended (conn, g_error_new_literal (ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_CLOSED,
                                               _("The device closed the event stream.")));
      conn_unref (conn);
      return;
    }

  watchdog_arm (conn, conn->self->idle_timeout_ms);
  if (!espy_sse_parser_feed (conn->parser, conn->buf, (gsize) n, &error))
    {
      stream_ended (conn, g_error_new (ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_PROTOCOL,
                                       _("The device sent a malformed event stream: %s"), error->message));
      conn_unref (conn);
      return;
    }

  /* A handler may close or drop the stream: keep it alive and look again
   * after each event. */
  self = g_object_ref (conn->self);
  while (!conn->closed && conn->self != NULL)
    {
      g_autoptr(EspySseEvent) event = espy_sse_parser_pop (conn->parser);

      if (event == NULL)
        break;
      dispatch (self, event);
    }

  if (conn->closed || conn->self == NULL || self->conn != conn)
    {
      conn_unref (conn);
      return;
    }
  read_more (conn);
  conn_unref (conn);
}

static void
read_more (Conn *conn)
{
  g_input_stream_read_async (conn->input, conn->buf, sizeof conn->buf, G_PRIORITY_DEFAULT,
                             conn->op_cancellable, on_read, conn_ref (conn));
}

/* --- connecting ------------------------------------------------------------ */

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Conn *conn = data;
  EspyEventStream *self = conn->self;
  g_autoptr(GError) error = NULL;
  GInputStream *input;
  guint status;
  const char *content_type;

  input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  /* Closed while the answer was on its way: the connect is cancelled. */
  if (input != NULL && self->conn != conn)
    {
      g_object_unref (input);
      connect_failed (conn, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 _("The event stream was cancelled.")));
      conn_unref (conn);
      return;
    }
  if (input == NULL)
    {
      connect_failed (conn, io_error_to_stream_error (conn, error, FALSE));
      conn_unref (conn);
      return;
    }
  conn->input = input;
  status = soup_message_get_status (conn->msg);

  if (status == SOUP_STATUS_UNAUTHORIZED)
    {
      if (self->user == NULL)
        connect_failed (conn, g_error_new_literal (ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_AUTH_REQUIRED,
                                                   _("The web server asks for a user name and password "
                                                     "(`web_server: auth:`).")));
      else if (!conn->digest_tried && espy_web_has_digest_challenge (conn->msg))
        {
          g_autoptr(SoupMessage) previous = g_steal_pointer (&conn->msg);

          g_clear_object (&conn->input);
          send_request (conn, previous);
        }
      else
        connect_failed (conn, g_error_new_literal (ESPY_EVENT_STREAM_ERROR,
                                                   ESPY_EVENT_STREAM_ERROR_WRONG_CREDENTIALS,
                                                   _("The web server rejected the user name or password.")));
      conn_unref (conn);
      return;
    }

  if (status == SOUP_STATUS_NOT_FOUND)
    {
      connect_failed (conn, g_error_new_literal (ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_NOT_FOUND,
                                                 _("This web server has no live events (/events): it may not "
                                                   "be an ESPHome device, or `web_server:` is an old version.")));
      conn_unref (conn);
      return;
    }

  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (conn->msg), NULL);
  if (status != SOUP_STATUS_OK || content_type == NULL ||
      g_ascii_strcasecmp (content_type, "text/event-stream") != 0)
    {
      connect_failed (conn, g_error_new (ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_UNEXPECTED_RESPONSE,
                                         _("The web server answered HTTP %u (%s) instead of an event stream."),
                                         status, content_type != NULL ? content_type : _("no content type")));
      conn_unref (conn);
      return;
    }

  /* Open: the connect completes, and silence is now measured. */
  watchdog_arm (conn, self->idle_timeout_ms);
  {
    GTask *task = g_steal_pointer (&conn->task);

    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
  }
  if (!conn->closed && conn->self != NULL)
    read_more (conn);
  conn_unref (conn);
}

static void
send_request (Conn        *conn,
              SoupMessage *previous)
{
  EspyEventStream *self = conn->self;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *authorization = NULL;
  SoupMessageHeaders *headers;

  uri = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, self->host, self->port, "/events", NULL, NULL);
  conn->msg = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  soup_message_add_flags (conn->msg, SOUP_MESSAGE_NEW_CONNECTION | SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (conn->msg);
  soup_message_headers_replace (headers, "Accept", "text/event-stream");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");

  if (self->user != NULL && previous == NULL)
    authorization = espy_web_basic_authorization (self->user, self->password);
  else if (self->user != NULL)
    {
      conn->digest_tried = TRUE;
      authorization = espy_web_digest_authorization (previous, conn->msg, self->user, self->password);
    }
  if (authorization != NULL)
    soup_message_headers_replace (headers, "Authorization", authorization);
  espy_secret_string_clear (&authorization);

  watchdog_arm (conn, self->connect_timeout_ms);
  soup_session_send_async (conn->session, conn->msg, G_PRIORITY_DEFAULT, conn->op_cancellable,
                           on_sent, conn_ref (conn));
}

void
espy_event_stream_connect_async (EspyEventStream     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Conn *conn;

  g_return_if_fail (ESPY_IS_EVENT_STREAM (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_event_stream_connect_async);

  /* One stream at a time: a new connect replaces the old one. */
  espy_event_stream_close (self);

  if (g_task_return_error_if_cancelled (task))
    return;

  conn = g_new0 (Conn, 1);
  conn->ref_count = 1;
  conn->self = self;
  conn->task = g_steal_pointer (&task);
  conn->session = espy_web_session_new ();
  conn->parser = espy_sse_parser_new (0);
  conn->op_cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      conn->user_cancellable = g_object_ref (cancellable);
      conn->user_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_user_cancelled),
                                                    conn->op_cancellable, NULL);
    }
  self->conn = conn;
  send_request (conn, NULL);
}

gboolean
espy_event_stream_connect_finish (EspyEventStream  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (ESPY_IS_EVENT_STREAM (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
espy_event_stream_close (EspyEventStream *self)
{
  Conn *conn;

  g_return_if_fail (ESPY_IS_EVENT_STREAM (self));

  conn = g_steal_pointer (&self->conn);
  if (conn == NULL)
    return;
  /* A connect in progress still completes its task (with CANCELLED) from
   * the pending callback; a running read just stops. */
  conn->closed = conn->task == NULL;
  conn_stop (conn);
  conn_unref (conn);
}

gboolean
espy_event_stream_is_open (EspyEventStream *self)
{
  g_return_val_if_fail (ESPY_IS_EVENT_STREAM (self), FALSE);

  return self->conn != NULL && self->conn->task == NULL;
}

/* --- object ---------------------------------------------------------------- */

static void
espy_event_stream_dispose (GObject *object)
{
  EspyEventStream *self = ESPY_EVENT_STREAM (object);

  if (self->conn != NULL)
    {
      Conn *conn = g_steal_pointer (&self->conn);

      /* Pending callbacks hold the Conn, not us. */
      conn->self = NULL;
      conn->closed = TRUE;
      conn_stop (conn);
      conn_unref (conn);
    }

  G_OBJECT_CLASS (espy_event_stream_parent_class)->dispose (object);
}

static void
espy_event_stream_finalize (GObject *object)
{
  EspyEventStream *self = ESPY_EVENT_STREAM (object);

  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->user, g_free);
  espy_secret_string_clear (&self->password);

  G_OBJECT_CLASS (espy_event_stream_parent_class)->finalize (object);
}

static void
espy_event_stream_class_init (EspyEventStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_event_stream_dispose;
  object_class->finalize = espy_event_stream_finalize;

  signals[SIGNAL_PING] =
    g_signal_new ("ping", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  signals[SIGNAL_STATE] =
    g_signal_new ("state", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  signals[SIGNAL_LOG] =
    g_signal_new ("log", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
espy_event_stream_init (EspyEventStream *self)
{
  self->port = 80;
  self->connect_timeout_ms = ESPY_EVENT_STREAM_DEFAULT_CONNECT_TIMEOUT_MS;
  self->idle_timeout_ms = ESPY_EVENT_STREAM_DEFAULT_IDLE_TIMEOUT_MS;
}

EspyEventStream *
espy_event_stream_new (const char *host,
                       guint16     port)
{
  EspyEventStream *self;

  g_return_val_if_fail (host != NULL && host[0] != '\0', NULL);

  self = g_object_new (ESPY_TYPE_EVENT_STREAM, NULL);
  self->host = g_strdup (host);
  self->port = port != 0 ? port : 80;
  return self;
}

void
espy_event_stream_set_credentials (EspyEventStream *self,
                                   const char      *user,
                                   const char      *password)
{
  g_return_if_fail (ESPY_IS_EVENT_STREAM (self));

  g_clear_pointer (&self->user, g_free);
  espy_secret_string_clear (&self->password);
  if (user != NULL && user[0] != '\0')
    {
      self->user = g_strdup (user);
      self->password = g_strdup (password != NULL ? password : "");
    }
}

void
espy_event_stream_set_timeouts (EspyEventStream *self,
                                guint            connect_ms,
                                guint            idle_ms)
{
  g_return_if_fail (ESPY_IS_EVENT_STREAM (self));

  self->connect_timeout_ms = connect_ms;
  self->idle_timeout_ms = idle_ms;
}
