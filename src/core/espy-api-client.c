/* espy-api-client.c: ESPHome native API, client side.
 *
 * One connection at a time. Everything runs on the thread-default main
 * context of the caller of connect_async(): a read loop feeds a byte buffer
 * that the pure decoders of espy-api-frame.c take frames from, and a write
 * queue sends what the handlers produce. The socket, its buffers and its
 * cancellables live in a small refcounted Conn that async callbacks hold,
 * so a callback arriving after the client let go of the connection (or was
 * finalized) sees conn->client == NULL and does nothing.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-api-client.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>

#include "espy-api-frame.h"
#include "espy-noise.h"

#ifndef PACKAGE_VERSION
# define PACKAGE_VERSION "0"
#endif

G_DEFINE_QUARK (espy-api-error-quark, espy_api_error)

/* Short window for a DisconnectResponse before closing anyway. */
#define DISCONNECT_WAIT_MS 2000

typedef enum {
  STATE_IDLE,
  STATE_CONNECTING,    /* TCP */
  STATE_SERVER_HELLO,  /* Noise: hello and handshake sent, waiting for the server hello */
  STATE_HANDSHAKE,     /* Noise: waiting for the device's handshake message */
  STATE_HELLO,         /* Hello + Connect sent, waiting for HelloResponse */
  STATE_CONNECT,       /* waiting for ConnectResponse */
  STATE_CONNECTED,
} State;

typedef struct _Conn Conn;
struct _Conn
{
  EspyApiClient *client;             /* unowned; NULL once detached */
  GCancellable *read_cancellable;    /* connect and reads */
  GCancellable *write_cancellable;
  GSocketConnection *connection;
  GInputStream *input;               /* owned by connection */
  GOutputStream *output;
  guint8 chunk[4096];
  GByteArray *rx;
  gsize rx_total;
  GByteArray *tx_pending;
  GBytes *tx_inflight;
  gboolean writing;
};

typedef struct
{
  EspyApiClient *self;               /* the task holds the reference */
  guint32 response_type;
  GTask *task;
  guint timeout_id;
  GSource *cancel_source;
} Waiter;

struct _EspyApiClient
{
  GObject parent_instance;

  char *host;
  guint16 port;
  guint8 key[ESPY_NOISE_KEY_LEN];
  gboolean have_key;
  GError *key_error;                 /* set_encryption_key() refused the last key */
  char *password;
  char *client_info;
  guint connect_timeout_ms;
  guint ping_interval_ms;
  guint keepalive_timeout_ms;
  guint request_timeout_ms;

  State state;
  Conn *conn;
  GTask *connect_task;
  guint connect_timeout_id;
  GSource *connect_cancel_source;

  EspyNoiseHandshake *handshake;
  EspyNoiseCipher *send_cipher;
  EspyNoiseCipher *recv_cipher;
  gboolean encrypted;

  guint api_major;
  guint api_minor;
  char *server_info;
  char *name;
  char *noise_name;
  char *noise_mac;

  gint64 last_rx_us;
  gint64 last_ping_us;
  guint keepalive_id;

  GQueue waiters;
};

G_DEFINE_FINAL_TYPE (EspyApiClient, espy_api_client, G_TYPE_OBJECT)

enum {
  SIGNAL_LOG_MESSAGE,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void teardown (EspyApiClient *self, const char *reason, GError *error, gboolean flush);

/* ---- errors ---------------------------------------------------------- */

const char *
espy_api_error_to_nick (EspyApiError code)
{
  switch (code)
    {
    case ESPY_API_ERROR_WRONG_KEY: return "wrong-key";
    case ESPY_API_ERROR_KEY_REQUIRED: return "key-required";
    case ESPY_API_ERROR_DEVICE_NOT_ENCRYPTED: return "device-not-encrypted";
    case ESPY_API_ERROR_INVALID_KEY: return "invalid-key";
    case ESPY_API_ERROR_WRONG_PASSWORD: return "wrong-password";
    case ESPY_API_ERROR_HANDSHAKE_REJECTED: return "handshake-rejected";
    case ESPY_API_ERROR_CLOSED: return "closed";
    case ESPY_API_ERROR_TIMEOUT: return "timeout";
    case ESPY_API_ERROR_FRAME_TOO_LARGE: return "frame-too-large";
    case ESPY_API_ERROR_PROTOCOL: return "protocol";
    case ESPY_API_ERROR_CONNECT_FAILED: return "connect-failed";
    case ESPY_API_ERROR_NOT_CONNECTED: return "not-connected";
    default: return "unknown";
    }
}

static GError *
api_error (EspyApiError code)
{
  const char *message = NULL;

  switch (code)
    {
    case ESPY_API_ERROR_WRONG_KEY:
      message = _("The device rejected the encryption key. Use the key from api: encryption: key: in the "
                  "configuration the device runs now.");
      break;
    case ESPY_API_ERROR_KEY_REQUIRED:
      message = _("The device uses encryption. Give the encryption key from api: encryption: key: in its "
                  "configuration.");
      break;
    case ESPY_API_ERROR_DEVICE_NOT_ENCRYPTED:
      message = _("The device does not use encryption. Remove the encryption key for this device, or install "
                  "a configuration with api: encryption: on it first.");
      break;
    case ESPY_API_ERROR_INVALID_KEY:
      message = _("The encryption key is not valid: it must be base64 text of exactly 32 bytes "
                  "(44 characters ending in “=”), as ESPHome generates for api: encryption: key:.");
      break;
    case ESPY_API_ERROR_WRONG_PASSWORD:
      message = _("The device rejected the API password. Check api: password: in its configuration.");
      break;
    case ESPY_API_ERROR_CLOSED:
      message = _("The device closed the connection. It may be restarting, or it may already serve as many "
                  "API clients as it allows.");
      break;
    case ESPY_API_ERROR_TIMEOUT:
      message = _("The device stopped answering. Check that it is powered on and its Wi-Fi signal, then "
                  "try again.");
      break;
    case ESPY_API_ERROR_FRAME_TOO_LARGE:
      message = _("The device sent a message larger than 65535 bytes, which the native API does not allow.");
      break;
    case ESPY_API_ERROR_NOT_CONNECTED:
      message = _("Not connected to the device.");
      break;
    case ESPY_API_ERROR_HANDSHAKE_REJECTED:
    case ESPY_API_ERROR_PROTOCOL:
    case ESPY_API_ERROR_CONNECT_FAILED:
    default:
      message = _("The device sent data the native API does not allow. Check that the port is the device's "
                  "API port (6053).");
      break;
    }
  return g_error_new_literal (ESPY_API_ERROR, code, message);
}

static GError *
protocol_error (const char *detail)
{
  return g_error_new (ESPY_API_ERROR, ESPY_API_ERROR_PROTOCOL,
                      _("The device sent data the native API does not allow (%s). Check that the port is "
                        "the device's API port (6053)."), detail);
}

gboolean
espy_api_parse_key (const char  *text,
                    guint8      *key,
                    GError     **error)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  g_autofree char *copy = NULL;
  guchar *decoded = NULL;
  gsize decoded_len = 0;
  gboolean ok = TRUE;
  gsize len;

  if (text == NULL)
    {
      g_propagate_error (error, api_error (ESPY_API_ERROR_INVALID_KEY));
      return FALSE;
    }
  /* YAML values may carry surrounding blanks; nothing else is forgiven. */
  copy = g_strstrip (g_strdup (text));
  len = strlen (copy);
  /* 32 bytes are 43 base64 characters and one "=". g_base64_decode() skips
   * invalid characters silently, hence the explicit check. */
  if (len != 44 || copy[43] != '=')
    ok = FALSE;
  for (gsize i = 0; ok && i < 43; i++)
    if (copy[i] == '\0' || strchr (alphabet, copy[i]) == NULL)
      ok = FALSE;
  if (ok)
    {
      decoded = g_base64_decode (copy, &decoded_len);
      ok = decoded_len == ESPY_NOISE_KEY_LEN;
      if (ok && key != NULL)
        memcpy (key, decoded, ESPY_NOISE_KEY_LEN);
      if (decoded != NULL)
        OPENSSL_cleanse (decoded, decoded_len);
      g_free (decoded);
    }
  OPENSSL_cleanse (copy, len);
  if (!ok)
    g_propagate_error (error, api_error (ESPY_API_ERROR_INVALID_KEY));
  return ok;
}

/* ---- Conn ------------------------------------------------------------ */

static Conn *
conn_new (EspyApiClient *client)
{
  Conn *conn = g_rc_box_new0 (Conn);

  conn->client = client;
  conn->read_cancellable = g_cancellable_new ();
  conn->write_cancellable = g_cancellable_new ();
  conn->rx = g_byte_array_new ();
  conn->tx_pending = g_byte_array_new ();
  return conn;
}

static void
conn_clear (Conn *conn)
{
  g_clear_object (&conn->read_cancellable);
  g_clear_object (&conn->write_cancellable);
  g_clear_object (&conn->connection);
  g_clear_pointer (&conn->rx, g_byte_array_unref);
  g_clear_pointer (&conn->tx_pending, g_byte_array_unref);
  g_clear_pointer (&conn->tx_inflight, g_bytes_unref);
}

static Conn *
conn_ref (Conn *conn)
{
  return g_rc_box_acquire (conn);
}

static void
conn_unref (Conn *conn)
{
  g_rc_box_release_full (conn, (GDestroyNotify) conn_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Conn, conn_unref)

static void
conn_close_stream (Conn *conn)
{
  if (conn->connection != NULL && !g_io_stream_is_closed (G_IO_STREAM (conn->connection)))
    g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
}

static void conn_flush (Conn *conn);

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Conn) conn = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyApiClient) self = NULL;

  conn->writing = FALSE;
  g_clear_pointer (&conn->tx_inflight, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (conn->client != NULL)
        {
          self = g_object_ref (conn->client);
          teardown (self, "closed",
                    g_error_new (ESPY_API_ERROR, ESPY_API_ERROR_CLOSED,
                                 _("The connection to the device was lost: %s"), error->message),
                    FALSE);
        }
      else
        conn_close_stream (conn);
      return;
    }

  if (conn->tx_pending->len > 0)
    conn_flush (conn);
  else if (conn->client == NULL)
    /* Detached with a last message to deliver (DisconnectResponse): done. */
    conn_close_stream (conn);
}

static void
conn_flush (Conn *conn)
{
  gconstpointer data;
  gsize size;

  if (conn->writing || conn->tx_pending->len == 0 || conn->output == NULL)
    return;
  conn->tx_inflight = g_byte_array_free_to_bytes (g_steal_pointer (&conn->tx_pending));
  conn->tx_pending = g_byte_array_new ();
  conn->writing = TRUE;
  data = g_bytes_get_data (conn->tx_inflight, &size);
  g_output_stream_write_all_async (conn->output, data, size, G_PRIORITY_DEFAULT,
                                   conn->write_cancellable, on_written, conn_ref (conn));
}

/* Lets go of CONN. With FLUSH, queued bytes are still sent before the
 * socket closes; reads stop at once either way. */
static void
conn_detach (Conn     *conn,
             gboolean  flush)
{
  conn->client = NULL;
  g_cancellable_cancel (conn->read_cancellable);
  if (flush && (conn->writing || conn->tx_pending->len > 0))
    conn_flush (conn);
  else
    {
      g_cancellable_cancel (conn->write_cancellable);
      conn_close_stream (conn);
    }
  conn_unref (conn);
}

/* ---- sending --------------------------------------------------------- */

/* Appends MESSAGE to the write queue without starting a write, so that
 * several messages can leave in one. */
static gboolean
queue_message (EspyApiClient           *self,
               const ProtobufCMessage  *message,
               GError                 **error)
{
  Conn *conn = self->conn;

  if (conn == NULL || conn->output == NULL)
    {
      g_propagate_error (error, api_error (ESPY_API_ERROR_NOT_CONNECTED));
      return FALSE;
    }

  if (self->encrypted)
    {
      g_autoptr(GByteArray) plain = g_byte_array_new ();
      g_autoptr(GByteArray) body = g_byte_array_new ();
      g_autoptr(GError) local_error = NULL;

      /* Our messages are small; the device's limit is its problem to report. */
      if (!espy_api_message_append_noise (plain, message)
          || !espy_noise_cipher_encrypt (self->send_cipher, NULL, 0, plain->data, plain->len, body,
                                         &local_error)
          || !espy_api_frame_encode_noise (conn->tx_pending, body->data, body->len))
        {
          OPENSSL_cleanse (plain->data, plain->len);
          g_set_error_literal (error, ESPY_API_ERROR, ESPY_API_ERROR_PROTOCOL,
                               _("A message could not be encrypted for the device."));
          return FALSE;
        }
      OPENSSL_cleanse (plain->data, plain->len);
    }
  else
    espy_api_message_append_plaintext (conn->tx_pending, message);
  return TRUE;
}

static gboolean
send_message (EspyApiClient           *self,
              const ProtobufCMessage  *message,
              GError                 **error)
{
  if (!queue_message (self, message, error))
    return FALSE;
  conn_flush (self->conn);
  return TRUE;
}

/* Sends a message whose failure ends the connection (there is no caller
 * to report it to). FALSE if the connection is gone. */
static gboolean
send_or_teardown (EspyApiClient          *self,
                  const ProtobufCMessage *message)
{
  GError *error = NULL;

  if (send_message (self, message, &error))
    return TRUE;
  teardown (self, "error", error, FALSE);
  return FALSE;
}

/* ---- waiters: requests waiting for their response ------------------- */

static void
waiter_free (Waiter *waiter)
{
  g_clear_handle_id (&waiter->timeout_id, g_source_remove);
  if (waiter->cancel_source != NULL)
    {
      g_source_destroy (waiter->cancel_source);
      g_clear_pointer (&waiter->cancel_source, g_source_unref);
    }
  g_clear_object (&waiter->task);
  g_free (waiter);
}

/* Removes WAITER and completes its task: with MESSAGE (owned) on success. */
static void
waiter_complete (Waiter           *waiter,
                 ProtobufCMessage *message,
                 GError           *error)
{
  EspyApiClient *self = waiter->self;
  g_autoptr(GTask) task = g_steal_pointer (&waiter->task);

  g_queue_remove (&self->waiters, waiter);
  waiter_free (waiter);
  if (error != NULL)
    {
      espy_api_message_free (message);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, message, espy_api_message_free);
}

static gboolean
waiter_timeout_cb (gpointer user_data)
{
  Waiter *waiter = user_data;

  waiter->timeout_id = 0;
  if (waiter->response_type == ESPY_API_MSG_DISCONNECT_RESPONSE)
    {
      g_autoptr(EspyApiClient) self = g_object_ref (waiter->self);

      /* No goodbye from the device: close anyway, which completes us. */
      teardown (self, "requested", NULL, FALSE);
      return G_SOURCE_REMOVE;
    }
  waiter_complete (waiter, NULL,
                   g_error_new_literal (ESPY_API_ERROR, ESPY_API_ERROR_TIMEOUT,
                                        _("The device did not answer the request in time.")));
  return G_SOURCE_REMOVE;
}

static gboolean
waiter_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  Waiter *waiter = user_data;

  waiter_complete (waiter, NULL,
                   g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled")));
  return G_SOURCE_REMOVE;
}

static GSource *
attach_cancel_source (GCancellable *cancellable,
                      GSourceFunc   func,
                      gpointer      data)
{
  GSource *source = g_cancellable_source_new (cancellable);

  /* A source, not a signal handler: it runs from the main loop, never
   * inside g_cancellable_cancel(), so it may tear things down freely. */
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

/* Sends REQUEST and completes TASK when a message of RESPONSE_TYPE comes. */
static void
request (EspyApiClient          *self,
         const ProtobufCMessage *message,
         guint32                 response_type,
         guint                   timeout_ms,
         GTask                  *task)
{
  GError *error = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  Waiter *waiter;

  if (self->state != STATE_CONNECTED)
    {
      g_task_return_error (task, api_error (ESPY_API_ERROR_NOT_CONNECTED));
      return;
    }
  if (!send_message (self, message, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  waiter = g_new0 (Waiter, 1);
  waiter->self = self;
  waiter->response_type = response_type;
  waiter->task = g_object_ref (task);
  waiter->timeout_id = g_timeout_add (timeout_ms, waiter_timeout_cb, waiter);
  if (cancellable != NULL)
    waiter->cancel_source = attach_cancel_source (cancellable, (GSourceFunc) waiter_cancelled_cb, waiter);
  g_queue_push_tail (&self->waiters, waiter);
}

static Waiter *
find_waiter (EspyApiClient *self,
             guint32        response_type)
{
  for (GList *l = self->waiters.head; l != NULL; l = l->next)
    {
      Waiter *waiter = l->data;

      if (waiter->response_type == response_type)
        return waiter;
    }
  return NULL;
}

/* ---- connection end -------------------------------------------------- */

static void
clear_session (EspyApiClient *self)
{
  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  if (self->connect_cancel_source != NULL)
    {
      g_source_destroy (self->connect_cancel_source);
      g_clear_pointer (&self->connect_cancel_source, g_source_unref);
    }
  g_clear_pointer (&self->handshake, espy_noise_handshake_free);
  g_clear_pointer (&self->send_cipher, espy_noise_cipher_free);
  g_clear_pointer (&self->recv_cipher, espy_noise_cipher_free);
  self->encrypted = FALSE;
}

/* Ends the connection, whatever the stage: fails the connect task or the
 * waiting requests with ERROR (owned; NULL = a normal end), then emits
 * ::disconnected when the connection had been up. */
static void
teardown (EspyApiClient *self,
          const char    *reason,
          GError        *error,
          gboolean       flush)
{
  g_autoptr(GError) owned_error = error;
  g_autoptr(GTask) connect_task = NULL;
  gboolean was_connected = self->state == STATE_CONNECTED;
  GQueue waiters = G_QUEUE_INIT;

  if (self->state == STATE_IDLE)
    return;

  g_object_ref (self);
  self->state = STATE_IDLE;
  if (self->conn != NULL)
    conn_detach (g_steal_pointer (&self->conn), flush);
  clear_session (self);
  connect_task = g_steal_pointer (&self->connect_task);
  waiters = self->waiters;
  g_queue_init (&self->waiters);

  /* Nothing of ours is touched after this point but through public API:
   * task callbacks and signal handlers may reconnect. */
  if (connect_task != NULL)
    g_task_return_error (connect_task,
                         owned_error != NULL ? g_error_copy (owned_error)
                                             : api_error (ESPY_API_ERROR_CLOSED));
  while (!g_queue_is_empty (&waiters))
    {
      Waiter *waiter = g_queue_pop_head (&waiters);
      g_autoptr(GTask) task = g_steal_pointer (&waiter->task);

      if (waiter->response_type == ESPY_API_MSG_DISCONNECT_RESPONSE)
        {
          waiter_free (waiter);
          g_task_return_pointer (task, NULL, NULL);
          continue;
        }
      waiter_free (waiter);
      g_task_return_error (task, owned_error != NULL ? g_error_copy (owned_error)
                                                     : api_error (ESPY_API_ERROR_CLOSED));
    }

  /* A requested close is no failure, whatever the pending tasks got. */
  if (was_connected)
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, reason,
                   g_str_equal (reason, "requested") ? NULL : owned_error);
  g_object_unref (self);
}

/* ---- keep-alive ------------------------------------------------------ */

static gboolean
keepalive_cb (gpointer user_data)
{
  g_autoptr(EspyApiClient) self = g_object_ref (user_data);
  gint64 now = g_get_monotonic_time ();
  gint64 idle_ms = (now - self->last_rx_us) / 1000;

  if (idle_ms >= self->keepalive_timeout_ms)
    {
      self->keepalive_id = 0;
      teardown (self, "timeout",
                g_error_new (ESPY_API_ERROR, ESPY_API_ERROR_TIMEOUT,
                             _("The device stopped answering (nothing received for %u seconds). Check that "
                               "it is powered on and its Wi-Fi signal."),
                             (self->keepalive_timeout_ms + 999) / 1000),
                FALSE);
      return G_SOURCE_REMOVE;
    }
  /* Ping when the line has been quiet, once per interval. */
  if (idle_ms >= self->ping_interval_ms
      && (now - self->last_ping_us) / 1000 >= self->ping_interval_ms)
    {
      EspyApi__PingRequest ping = ESPY_API__PING_REQUEST__INIT;

      self->last_ping_us = now;
      if (!send_or_teardown (self, &ping.base))
        {
          self->keepalive_id = 0;
          return G_SOURCE_REMOVE;
        }
    }
  return G_SOURCE_CONTINUE;
}

static void
keepalive_start (EspyApiClient *self)
{
  guint tick = MIN (self->ping_interval_ms, self->keepalive_timeout_ms) / 4;

  tick = CLAMP (tick, 10, 1000);
  self->last_ping_us = self->last_rx_us;
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  self->keepalive_id = g_timeout_add (tick, keepalive_cb, self);
}

/* ---- receiving ------------------------------------------------------- */

static void
connection_established (EspyApiClient *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

  self->state = STATE_CONNECTED;
  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  if (self->connect_cancel_source != NULL)
    {
      g_source_destroy (self->connect_cancel_source);
      g_clear_pointer (&self->connect_cancel_source, g_source_unref);
    }
  keepalive_start (self);
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static void
send_hello (EspyApiClient *self)
{
  EspyApi__HelloRequest hello = ESPY_API__HELLO_REQUEST__INIT;
  EspyApi__ConnectRequest connect = ESPY_API__CONNECT_REQUEST__INIT;
  GError *error = NULL;

  hello.client_info = self->client_info;
  hello.api_version_major = ESPY_API_VERSION_MAJOR;
  hello.api_version_minor = ESPY_API_VERSION_MINOR;
  /* Sent together: up to 2025.6 logs need ConnectRequest, 2026.1+ ignores it. */
  connect.password = self->password != NULL ? self->password : (char *) "";
  self->state = STATE_HELLO;
  if (!queue_message (self, &hello.base, &error) || !queue_message (self, &connect.base, &error))
    {
      teardown (self, "error", g_steal_pointer (&error), FALSE);
      return;
    }
  conn_flush (self->conn);
}

static void
handle_message (EspyApiClient *self,
                guint32        type,
                const guint8  *data,
                gsize          len)
{
  g_autoptr(ProtobufCMessage) message = NULL;
  g_autofree char *detail = NULL;

  if (espy_api_message_descriptor (type) == NULL)
    {
      g_debug ("API: skipping message type %u (%zu bytes)", type, len);
      return;
    }
  message = espy_api_message_unpack (type, data, len);
  if (message == NULL)
    {
      detail = g_strdup_printf ("invalid %s", espy_api_message_type_name (type));
      teardown (self, "error", protocol_error (detail), FALSE);
      return;
    }

  switch ((EspyApiMessageType) type)
    {
    case ESPY_API_MSG_HELLO_RESPONSE:
      if (self->state == STATE_HELLO)
        {
          EspyApi__HelloResponse *hello = (EspyApi__HelloResponse *) message;

          self->api_major = hello->api_version_major;
          self->api_minor = hello->api_version_minor;
          g_free (self->server_info);
          self->server_info = g_utf8_make_valid (hello->server_info, -1);
          g_free (self->name);
          self->name = g_utf8_make_valid (hello->name, -1);
          /* API 1.14 (2026.1) dropped password auth: no ConnectResponse comes. */
          if (self->api_major > 1 || (self->api_major == 1 && self->api_minor >= 14))
            connection_established (self);
          else
            self->state = STATE_CONNECT;
        }
      break;

    case ESPY_API_MSG_CONNECT_RESPONSE:
      if (((EspyApi__ConnectResponse *) message)->invalid_password)
        teardown (self, "error", api_error (ESPY_API_ERROR_WRONG_PASSWORD), FALSE);
      else if (self->state == STATE_CONNECT)
        connection_established (self);
      break;

    case ESPY_API_MSG_PING_REQUEST:
      {
        EspyApi__PingResponse pong = ESPY_API__PING_RESPONSE__INIT;

        send_or_teardown (self, &pong.base);
      }
      break;

    case ESPY_API_MSG_GET_TIME_REQUEST:
      {
        EspyApi__GetTimeResponse time_response = ESPY_API__GET_TIME_RESPONSE__INIT;

        time_response.epoch_seconds = (guint32) (g_get_real_time () / G_USEC_PER_SEC);
        send_or_teardown (self, &time_response.base);
      }
      break;

    case ESPY_API_MSG_DISCONNECT_REQUEST:
      {
        EspyApi__DisconnectResponse bye = ESPY_API__DISCONNECT_RESPONSE__INIT;

        /* The device is about to reboot: answer, let the answer out, close. */
        if (send_or_teardown (self, &bye.base))
          teardown (self, "rebooting", NULL, TRUE);
      }
      break;

    case ESPY_API_MSG_DISCONNECT_RESPONSE:
      if (find_waiter (self, ESPY_API_MSG_DISCONNECT_RESPONSE) != NULL)
        teardown (self, "requested", NULL, FALSE);
      break;

    case ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE:
      {
        g_autofree char *text =
          espy_api_log_message_to_string ((EspyApi__SubscribeLogsResponse *) message);

        g_signal_emit (self, signals[SIGNAL_LOG_MESSAGE], 0,
                       (guint) ((EspyApi__SubscribeLogsResponse *) message)->level, text);
      }
      break;

    case ESPY_API_MSG_DEVICE_INFO_RESPONSE:
    case ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_RESPONSE:
      {
        Waiter *waiter = find_waiter (self, type);

        if (waiter != NULL)
          waiter_complete (waiter, g_steal_pointer (&message), NULL);
      }
      break;

    case ESPY_API_MSG_PING_RESPONSE:
      /* Receiving anything already counts as a sign of life. */
      break;

    case ESPY_API_MSG_HELLO_REQUEST:
    case ESPY_API_MSG_CONNECT_REQUEST:
    case ESPY_API_MSG_DEVICE_INFO_REQUEST:
    case ESPY_API_MSG_SUBSCRIBE_LOGS_REQUEST:
    case ESPY_API_MSG_GET_TIME_RESPONSE:
    case ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_REQUEST:
    default:
      g_debug ("API: ignoring %s from the device", espy_api_message_type_name (type));
      break;
    }
}

static const char * const known_rejects[] = {
  "Handshake MAC failure",
  "Bad indicator byte",
  "Bad handshake packet len",
  "Empty handshake message",
  "Bad handshake error byte",
  "Handshake error",
  NULL
};

static GError *
reject_error (const char *reason)
{
  if (g_strcmp0 (reason, "Handshake MAC failure") == 0)
    return api_error (ESPY_API_ERROR_WRONG_KEY);
  return g_error_new (ESPY_API_ERROR, ESPY_API_ERROR_HANDSHAKE_REJECTED,
                      _("The device refused the encrypted connection (“%s”). Update the device's firmware "
                        "or Espy, then try again."), reason);
}

static void
handle_handshake_frame (EspyApiClient *self,
                        const guint8  *body,
                        gsize          len)
{
  g_autofree char *reason = NULL;
  g_autoptr(GError) error = NULL;

  if (self->state == STATE_SERVER_HELLO)
    {
      /* A reject can come instead of the server hello, and both start with
       * 0x01: a reject is a known reason with no NUL after it. */
      reason = espy_api_noise_reject_reason (body, len);
      if (reason != NULL && memchr (body, '\0', len) == NULL
          && g_strv_contains ((const char * const *) known_rejects, reason))
        {
          teardown (self, "error", reject_error (reason), FALSE);
          return;
        }
      g_clear_pointer (&self->noise_name, g_free);
      g_clear_pointer (&self->noise_mac, g_free);
      if (!espy_api_noise_server_hello_parse (body, len, &self->noise_name, &self->noise_mac))
        {
          teardown (self, "error", protocol_error ("unknown Noise protocol version"), FALSE);
          return;
        }
      self->state = STATE_HANDSHAKE;
      return;
    }

  g_assert (self->state == STATE_HANDSHAKE);
  reason = espy_api_noise_reject_reason (body, len);
  if (reason != NULL)
    {
      teardown (self, "error", reject_error (reason), FALSE);
      return;
    }
  if (!espy_noise_handshake_read_message (self->handshake, body + 1, len - 1, NULL, &error)
      || !espy_noise_handshake_split (self->handshake, &self->send_cipher, &self->recv_cipher, &error))
    {
      /* The device accepted our message but we cannot read its answer: it
       * holds a different key (or is not who it claims). */
      if (g_error_matches (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_DECRYPT))
        teardown (self, "error", api_error (ESPY_API_ERROR_WRONG_KEY), FALSE);
      else
        teardown (self, "error", protocol_error (error->message), FALSE);
      return;
    }
  g_clear_pointer (&self->handshake, espy_noise_handshake_free);
  self->encrypted = TRUE;
  send_hello (self);
}

static void
handle_noise_frame (EspyApiClient *self,
                    const guint8  *body,
                    gsize          len)
{
  g_autoptr(GByteArray) plain = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *payload;
  gsize payload_len;
  guint32 type;

  if (self->state == STATE_SERVER_HELLO || self->state == STATE_HANDSHAKE)
    {
      handle_handshake_frame (self, body, len);
      return;
    }

  plain = g_byte_array_new ();
  if (!espy_noise_cipher_decrypt (self->recv_cipher, NULL, 0, body, len, plain, &error))
    {
      teardown (self, "error", protocol_error ("a message failed to decrypt"), FALSE);
      return;
    }
  if (!espy_api_noise_message_decode (plain->data, plain->len, &type, &payload, &payload_len))
    teardown (self, "error", protocol_error ("an encrypted message is shorter than its header"), FALSE);
  else
    handle_message (self, type, payload, payload_len);
  OPENSSL_cleanse (plain->data, plain->len);
}

/* Takes every whole frame from CONN's buffer. */
static void
process_rx (EspyApiClient *self,
            Conn          *conn)
{
  gboolean noise = self->handshake != NULL || self->encrypted;

  while (self->conn == conn)
    {
      EspyApiFrame frame;
      EspyApiFrameStatus status;

      status = noise ? espy_api_frame_decode_noise (conn->rx->data, conn->rx->len,
                                                    ESPY_API_NOISE_MAX_BODY, &frame)
                     : espy_api_frame_decode_plaintext (conn->rx->data, conn->rx->len,
                                                        ESPY_API_CLIENT_MAX_PAYLOAD, &frame);
      switch (status)
        {
        case ESPY_API_FRAME_INCOMPLETE:
          return;
        case ESPY_API_FRAME_BAD_INDICATOR:
          /* A Noise device answers plaintext with a Noise frame; a plaintext
           * device answers Noise with a raw 0x00. */
          teardown (self, "error",
                    conn->rx->data[0] == ESPY_API_INDICATOR_NOISE && !noise
                      ? api_error (ESPY_API_ERROR_KEY_REQUIRED)
                      : conn->rx->data[0] == ESPY_API_INDICATOR_PLAINTEXT && noise
                      ? api_error (ESPY_API_ERROR_DEVICE_NOT_ENCRYPTED)
                      : protocol_error ("bad indicator byte"),
                    FALSE);
          return;
        case ESPY_API_FRAME_TOO_LARGE:
          teardown (self, "error", api_error (ESPY_API_ERROR_FRAME_TOO_LARGE), FALSE);
          return;
        case ESPY_API_FRAME_MALFORMED:
          teardown (self, "error", protocol_error ("malformed frame header"), FALSE);
          return;
        case ESPY_API_FRAME_COMPLETE:
        default:
          break;
        }

      if (noise)
        handle_noise_frame (self, frame.data, frame.len);
      else
        handle_message (self, frame.type, frame.data, frame.len);
      /* CONN keeps its buffer alive even if the handler tore it down. */
      g_byte_array_remove_range (conn->rx, 0, (guint) frame.frame_len);
    }
}

static void conn_read (Conn *conn);

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Conn) conn = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyApiClient) self = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (conn->client == NULL)
    return;
  self = g_object_ref (conn->client);

  if (n < 0)
    {
      teardown (self, "closed",
                g_error_new (ESPY_API_ERROR, ESPY_API_ERROR_CLOSED,
                             _("The connection to the device was lost: %s"), error->message),
                FALSE);
      return;
    }
  if (n == 0)
    {
      /* Older plaintext firmware just closes on a Noise hello. */
      if (self->state == STATE_SERVER_HELLO && conn->rx_total == 0)
        teardown (self, "closed", api_error (ESPY_API_ERROR_DEVICE_NOT_ENCRYPTED), FALSE);
      else
        teardown (self, "closed", api_error (ESPY_API_ERROR_CLOSED), FALSE);
      return;
    }

  conn->rx_total += (gsize) n;
  self->last_rx_us = g_get_monotonic_time ();
  g_byte_array_append (conn->rx, conn->chunk, (guint) n);
  process_rx (self, conn);
  if (self->conn == conn)
    conn_read (conn);
}

static void
conn_read (Conn *conn)
{
  g_input_stream_read_async (conn->input, conn->chunk, sizeof conn->chunk, G_PRIORITY_DEFAULT,
                             conn->read_cancellable, on_read, conn_ref (conn));
}

/* ---- connecting ------------------------------------------------------ */

static void
start_noise (EspyApiClient *self)
{
  g_autoptr(GByteArray) prologue = g_byte_array_new ();
  g_autoptr(GByteArray) message = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const guint8 ok = ESPY_API_NOISE_HANDSHAKE_OK;

  /* The usual empty client hello, which the prologue covers. */
  espy_api_noise_prologue (prologue, NULL, 0);
  self->handshake = espy_noise_handshake_new (ESPY_NOISE_ROLE_INITIATOR, self->key,
                                              prologue->data, prologue->len);
  g_byte_array_append (message, &ok, 1);
  if (!espy_noise_handshake_write_message (self->handshake, NULL, 0, message, &error))
    {
      teardown (self, "error", protocol_error (error->message), FALSE);
      return;
    }
  self->state = STATE_SERVER_HELLO;
  /* Hello and first handshake message in one write. */
  espy_api_frame_encode_noise (self->conn->tx_pending, NULL, 0);
  espy_api_frame_encode_noise (self->conn->tx_pending, message->data, message->len);
  conn_flush (self->conn);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Conn) conn = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(EspyApiClient) self = NULL;
  GSocket *socket;

  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (conn->client == NULL)
    {
      if (connection != NULL)
        g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return;
    }
  self = g_object_ref (conn->client);
  if (connection == NULL)
    {
      teardown (self, "error",
                g_error_new (ESPY_API_ERROR, ESPY_API_ERROR_CONNECT_FAILED,
                             _("Could not connect to %s port %u: %s. Check that the device is on and "
                               "that the API port is right."),
                             self->host, self->port, error->message),
                FALSE);
      return;
    }

  /* Small request/answer messages: do not let Nagle hold them back. */
  socket = g_socket_connection_get_socket (connection);
  if (!g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, &error))
    {
      g_debug ("API: TCP_NODELAY: %s", error->message);
      g_clear_error (&error);
    }
  conn->connection = g_steal_pointer (&connection);
  conn->input = g_io_stream_get_input_stream (G_IO_STREAM (conn->connection));
  conn->output = g_io_stream_get_output_stream (G_IO_STREAM (conn->connection));
  self->last_rx_us = g_get_monotonic_time ();
  conn_read (conn);

  if (self->have_key)
    start_noise (self);
  else
    send_hello (self);
}

static gboolean
connect_timeout_cb (gpointer user_data)
{
  EspyApiClient *self = user_data;

  self->connect_timeout_id = 0;
  teardown (self, "timeout",
            g_error_new (ESPY_API_ERROR, ESPY_API_ERROR_TIMEOUT,
                         _("The device did not complete the connection within %u seconds. Check that it "
                           "is powered on and reachable."),
                         (self->connect_timeout_ms + 999) / 1000),
            FALSE);
  return G_SOURCE_REMOVE;
}

static gboolean
connect_cancelled_cb (GCancellable *cancellable,
                      gpointer      user_data)
{
  EspyApiClient *self = user_data;

  teardown (self, "error",
            g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled")),
            FALSE);
  return G_SOURCE_REMOVE;
}

void
espy_api_client_connect_async (EspyApiClient       *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocketClient) socket_client = NULL;

  g_return_if_fail (ESPY_IS_API_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_api_client_connect_async);

  if (self->state != STATE_IDLE)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("A connection to the device is already open."));
      return;
    }
  /* A bad key never reaches the network. */
  if (self->key_error != NULL)
    {
      g_task_return_error (task, g_error_copy (self->key_error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  self->state = STATE_CONNECTING;
  self->connect_task = g_steal_pointer (&task);
  self->conn = conn_new (self);
  self->api_major = self->api_minor = 0;
  g_clear_pointer (&self->server_info, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->noise_name, g_free);
  g_clear_pointer (&self->noise_mac, g_free);
  self->connect_timeout_id = g_timeout_add (self->connect_timeout_ms, connect_timeout_cb, self);
  if (cancellable != NULL)
    self->connect_cancel_source = attach_cancel_source (cancellable, (GSourceFunc) connect_cancelled_cb,
                                                        self);

  socket_client = g_socket_client_new ();
  /* Devices are on the local network; a proxy would only get in the way. */
  g_socket_client_set_enable_proxy (socket_client, FALSE);
  g_socket_client_connect_to_host_async (socket_client, self->host, self->port,
                                         self->conn->read_cancellable, on_connected,
                                         conn_ref (self->conn));
}

gboolean
espy_api_client_connect_finish (EspyApiClient  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- requests -------------------------------------------------------- */

void
espy_api_client_device_info_async (EspyApiClient       *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  EspyApi__DeviceInfoRequest req = ESPY_API__DEVICE_INFO_REQUEST__INIT;

  g_return_if_fail (ESPY_IS_API_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_api_client_device_info_async);
  request (self, &req.base, ESPY_API_MSG_DEVICE_INFO_RESPONSE, self->request_timeout_ms, task);
}

EspyApiDeviceInfo *
espy_api_client_device_info_finish (EspyApiClient  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
espy_api_client_subscribe_logs (EspyApiClient    *self,
                                EspyApiLogLevel   level,
                                gboolean          dump_config,
                                GError          **error)
{
  EspyApi__SubscribeLogsRequest req = ESPY_API__SUBSCRIBE_LOGS_REQUEST__INIT;

  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), FALSE);

  if (self->state != STATE_CONNECTED)
    {
      g_propagate_error (error, api_error (ESPY_API_ERROR_NOT_CONNECTED));
      return FALSE;
    }
  req.level = (EspyApi__LogLevel) level;
  req.dump_config = dump_config != FALSE;
  return send_message (self, &req.base, error);
}

void
espy_api_client_set_device_key_async (EspyApiClient       *self,
                                      const char          *key,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stripped = NULL;
  EspyApi__NoiseEncryptionSetKeyRequest req = ESPY_API__NOISE_ENCRYPTION_SET_KEY_REQUEST__INIT;

  g_return_if_fail (ESPY_IS_API_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_api_client_set_device_key_async);
  if (!espy_api_parse_key (key, NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  stripped = g_strstrip (g_strdup (key));
  req.key = stripped;
  request (self, &req.base, ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_RESPONSE, self->request_timeout_ms, task);
  OPENSSL_cleanse (stripped, strlen (stripped));
}

gboolean
espy_api_client_set_device_key_finish (EspyApiClient  *self,
                                       GAsyncResult   *result,
                                       GError        **error)
{
  g_autoptr(EspyApi__NoiseEncryptionSetKeyResponse) response = NULL;

  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  response = g_task_propagate_pointer (G_TASK (result), error);
  if (response == NULL)
    return FALSE;
  if (!response->success)
    {
      g_set_error_literal (error, ESPY_API_ERROR, ESPY_API_ERROR_PROTOCOL,
                           _("The device did not accept the new encryption key."));
      return FALSE;
    }
  return TRUE;
}

void
espy_api_client_disconnect_async (EspyApiClient       *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  EspyApi__DisconnectRequest req = ESPY_API__DISCONNECT_REQUEST__INIT;

  g_return_if_fail (ESPY_IS_API_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_api_client_disconnect_async);
  if (self->state != STATE_CONNECTED)
    {
      /* Nothing to say goodbye to: stop whatever is in progress. */
      teardown (self, "requested",
                g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled")),
                FALSE);
      g_task_return_boolean (task, TRUE);
      return;
    }
  request (self, &req.base, ESPY_API_MSG_DISCONNECT_RESPONSE,
           MIN (self->request_timeout_ms, DISCONNECT_WAIT_MS), task);
}

gboolean
espy_api_client_disconnect_finish (EspyApiClient  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  /* Returns a pointer (NULL) on success, as the other requests do. */
  g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

void
espy_api_client_close (EspyApiClient *self)
{
  g_return_if_fail (ESPY_IS_API_CLIENT (self));

  teardown (self, "requested",
            g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled")),
            FALSE);
}

/* ---- properties ------------------------------------------------------ */

gboolean
espy_api_client_set_encryption_key (EspyApiClient  *self,
                                    const char     *key,
                                    GError        **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), FALSE);

  g_clear_error (&self->key_error);
  OPENSSL_cleanse (self->key, sizeof self->key);
  self->have_key = FALSE;
  if (key == NULL)
    return TRUE;
  if (!espy_api_parse_key (key, self->key, &local_error))
    {
      self->key_error = g_error_copy (local_error);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  self->have_key = TRUE;
  return TRUE;
}

void
espy_api_client_set_password (EspyApiClient *self,
                              const char    *password)
{
  g_return_if_fail (ESPY_IS_API_CLIENT (self));

  if (self->password != NULL)
    OPENSSL_cleanse (self->password, strlen (self->password));
  g_free (self->password);
  self->password = g_strdup (password);
}

void
espy_api_client_set_client_info (EspyApiClient *self,
                                 const char    *client_info)
{
  g_return_if_fail (ESPY_IS_API_CLIENT (self));

  g_free (self->client_info);
  self->client_info = g_strdup (client_info != NULL ? client_info : "Espy " PACKAGE_VERSION);
}

void
espy_api_client_set_timeouts (EspyApiClient *self,
                              guint          connect_ms,
                              guint          ping_interval_ms,
                              guint          keepalive_timeout_ms,
                              guint          request_ms)
{
  g_return_if_fail (ESPY_IS_API_CLIENT (self));

  if (connect_ms > 0)
    self->connect_timeout_ms = connect_ms;
  if (ping_interval_ms > 0)
    self->ping_interval_ms = ping_interval_ms;
  if (keepalive_timeout_ms > 0)
    self->keepalive_timeout_ms = keepalive_timeout_ms;
  if (request_ms > 0)
    self->request_timeout_ms = request_ms;
  if (self->state == STATE_CONNECTED)
    keepalive_start (self);
}

gboolean
espy_api_client_is_connected (EspyApiClient *self)
{
  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), FALSE);

  return self->state == STATE_CONNECTED;
}

gboolean
espy_api_client_get_encrypted (EspyApiClient *self)
{
  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), FALSE);

  return self->encrypted;
}

void
espy_api_client_get_api_version (EspyApiClient *self,
                                 guint         *major,
                                 guint         *minor)
{
  g_return_if_fail (ESPY_IS_API_CLIENT (self));

  if (major != NULL)
    *major = self->api_major;
  if (minor != NULL)
    *minor = self->api_minor;
}

const char *
espy_api_client_get_server_info (EspyApiClient *self)
{
  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), NULL);

  return self->server_info;
}

const char *
espy_api_client_get_name (EspyApiClient *self)
{
  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), NULL);

  return self->name;
}

const char *
espy_api_client_get_noise_name (EspyApiClient *self)
{
  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), NULL);

  return self->noise_name;
}

const char *
espy_api_client_get_noise_mac (EspyApiClient *self)
{
  g_return_val_if_fail (ESPY_IS_API_CLIENT (self), NULL);

  return self->noise_mac;
}

/* ---- GObject --------------------------------------------------------- */

static void
espy_api_client_dispose (GObject *object)
{
  EspyApiClient *self = ESPY_API_CLIENT (object);

  /* Tasks and waiters hold references, so none is pending here; only the
   * connection (which holds none) may remain. */
  self->state = STATE_IDLE;
  if (self->conn != NULL)
    conn_detach (g_steal_pointer (&self->conn), FALSE);
  clear_session (self);

  G_OBJECT_CLASS (espy_api_client_parent_class)->dispose (object);
}

static void
espy_api_client_finalize (GObject *object)
{
  EspyApiClient *self = ESPY_API_CLIENT (object);

  OPENSSL_cleanse (self->key, sizeof self->key);
  g_clear_error (&self->key_error);
  if (self->password != NULL)
    OPENSSL_cleanse (self->password, strlen (self->password));
  g_free (self->password);
  g_free (self->host);
  g_free (self->client_info);
  g_free (self->server_info);
  g_free (self->name);
  g_free (self->noise_name);
  g_free (self->noise_mac);

  G_OBJECT_CLASS (espy_api_client_parent_class)->finalize (object);
}

static void
espy_api_client_class_init (EspyApiClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_api_client_dispose;
  object_class->finalize = espy_api_client_finalize;

  signals[SIGNAL_LOG_MESSAGE] =
    g_signal_new ("log-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_ERROR);
}

static void
espy_api_client_init (EspyApiClient *self)
{
  self->connect_timeout_ms = ESPY_API_DEFAULT_CONNECT_TIMEOUT_MS;
  self->ping_interval_ms = ESPY_API_DEFAULT_PING_INTERVAL_MS;
  self->keepalive_timeout_ms = ESPY_API_DEFAULT_KEEPALIVE_TIMEOUT_MS;
  self->request_timeout_ms = ESPY_API_DEFAULT_REQUEST_TIMEOUT_MS;
  self->client_info = g_strdup ("Espy " PACKAGE_VERSION);
  g_queue_init (&self->waiters);
}

EspyApiClient *
espy_api_client_new (const char *host,
                     guint16     port)
{
  EspyApiClient *self;

  g_return_val_if_fail (host != NULL, NULL);

  self = g_object_new (ESPY_TYPE_API_CLIENT, NULL);
  self->host = g_strdup (host);
  self->port = port != 0 ? port : ESPY_API_DEFAULT_PORT;
  return self;
}
