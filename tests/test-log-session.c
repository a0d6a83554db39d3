/* test-log-session.c: EspyLogSession against devices on loopback: a
 * scripted native API device (plaintext or Noise, written from the wire
 * doc section 5) that can go silent, reboot and come back on its port,
 * and the simulator's web server for /events with Basic and Digest. The
 * keyring is the sandbox's real gnome-keyring (tests/test-env.sh).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "espy-api-client.h"
#include "espy-api-frame.h"
#include "espy-device-config.h"
#include "espy-event-stream.h"
#include "espy-log-session.h"
#include "espy-noise.h"
#include "espy-secrets.h"
#include "espy-sim-web-server.h"

#define KEY       "QRTIErOb/fcE9Ukd/5qA3RGYMn0Y+p06U58SCtOXvPc="
#define OTHER_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

/* ---- a scripted API device, in its own thread ------------------------------ */

typedef struct {
  GSocket *listener;
  guint16 port;
  GThread *thread;
  char *key;                 /* Noise PSK, or NULL for plaintext */
  GMutex lock;
  char *version;             /* DeviceInfo esphome_version; changes on reboot */
  gint log_interval_ms;      /* atomic */
  guint down_ms;             /* how long a reboot keeps the port closed */
  gint stop;                 /* atomic */
  gint silent;               /* atomic: no pings answered, no logs sent */
  gint reboot;               /* atomic: say goodbye, close the port for down_ms */
  gint connections;          /* atomic: accepted */
  gint rejected;             /* atomic: handshakes refused (wrong key) */
  gint subscribed;           /* atomic: SubscribeLogs seen on the current connection */
  gint pings_seen;           /* atomic */
  gint dump_config;          /* atomic: last SubscribeLogs asked for it */
} Dev;

typedef struct {
  Dev *dev;
  GSocket *sock;
  GByteArray *rx;
  EspyNoiseCipher *send;
  EspyNoiseCipher *recv;
  gboolean noise;
} Conn;

static gboolean
conn_send (Conn         *c,
           const guint8 *data,
           gsize         len)
{
  gsize sent = 0;

  while (sent < len)
    {
      gssize n = g_socket_send (c->sock, (const char *) data + sent, len - sent, NULL, NULL);

      if (n <= 0)
        return FALSE;
      sent += (gsize) n;
    }
  return TRUE;
}

static gboolean
conn_send_msg (Conn                   *c,
               const ProtobufCMessage *msg)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();

  if (!c->noise)
    espy_api_message_append_plaintext (out, msg);
  else
    {
      g_autoptr(GByteArray) plain = g_byte_array_new ();
      g_autoptr(GByteArray) body = g_byte_array_new ();

      g_assert_true (espy_api_message_append_noise (plain, msg));
      g_assert_true (espy_noise_cipher_encrypt (c->send, NULL, 0, plain->data, plain->len, body, NULL));
      g_assert_true (espy_api_frame_encode_noise (out, body->data, body->len));
    }
  return conn_send (c, out->data, out->len);
}

/* Reads what is there (waiting up to WAIT_MS); FALSE at EOF or error. */
static gboolean
conn_fill (Conn *c,
           guint wait_ms)
{
  guint8 buf[4096];
  gssize n;

  if (!g_socket_condition_timed_wait (c->sock, G_IO_IN, (gint64) wait_ms * 1000, NULL, NULL))
    return TRUE;
  n = g_socket_receive (c->sock, (char *) buf, sizeof buf, NULL, NULL);
  if (n <= 0)
    return FALSE;
  g_byte_array_append (c->rx, buf, (guint) n);
  return TRUE;
}

/* The next Noise body out of rx, or NULL when incomplete. */
static GBytes *
conn_take_noise_body (Conn *c)
{
  EspyApiFrame frame;
  GBytes *body;

  if (espy_api_frame_decode_noise (c->rx->data, c->rx->len, 65535, &frame) != ESPY_API_FRAME_COMPLETE)
    return NULL;
  body = g_bytes_new (frame.data, frame.len);
  g_byte_array_remove_range (c->rx, 0, (guint) frame.frame_len);
  return body;
}

/* The next message out of rx: its type, its payload; NULL when incomplete. */
static GBytes *
conn_take_msg (Conn    *c,
               guint32 *type)
{
  EspyApiFrame frame;
  GBytes *payload;

  if (c->noise)
    {
      g_autoptr(GBytes) body = conn_take_noise_body (c);
      g_autoptr(GByteArray) plain = g_byte_array_new ();
      const guint8 *data;
      gsize len;

      if (body == NULL)
        return NULL;
      g_assert_true (espy_noise_cipher_decrypt (c->recv, NULL, 0, g_bytes_get_data (body, NULL),
                                                g_bytes_get_size (body), plain, NULL));
      g_assert_true (espy_api_noise_message_decode (plain->data, plain->len, type, &data, &len));
      return g_bytes_new (data, len);
    }
  if (espy_api_frame_decode_plaintext (c->rx->data, c->rx->len, 32768, &frame) != ESPY_API_FRAME_COMPLETE)
    return NULL;
  *type = frame.type;
  payload = g_bytes_new (frame.data, frame.len);
  g_byte_array_remove_range (c->rx, 0, (guint) frame.frame_len);
  return payload;
}

static void
conn_send_reject (Conn       *c,
                  const char *reason)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();

  espy_api_noise_reject_encode (body, reason);
  espy_api_frame_encode_noise (out, body->data, body->len);
  conn_send (c, out->data, out->len);
}

/* The device side of the handshake; FALSE when the client was refused. */
static gboolean
conn_handshake (Conn *c)
{
  g_autoptr(GBytes) hello = NULL;
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GByteArray) prologue = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(EspyNoiseHandshake) hs = NULL;
  guint8 psk[32];
  const guint8 ok = 0x00;

  while (c->rx->len == 0)
    if (!conn_fill (c, 100) || g_atomic_int_get (&c->dev->stop))
      return FALSE;
  if (c->rx->data[0] != ESPY_API_INDICATOR_NOISE)
    {
      conn_send_reject (c, ESPY_API_BAD_INDICATOR_REASON);
      return FALSE;
    }
  while ((hello = conn_take_noise_body (c)) == NULL)
    if (!conn_fill (c, 100))
      return FALSE;
  while ((msg = conn_take_noise_body (c)) == NULL)
    if (!conn_fill (c, 100))
      return FALSE;

  g_assert_true (espy_api_parse_key (c->dev->key, psk, NULL));
  espy_api_noise_prologue (prologue, NULL, 0);
  hs = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, psk, prologue->data, prologue->len);
  if (!espy_noise_handshake_read_message (hs, (const guint8 *) g_bytes_get_data (msg, NULL) + 1,
                                          g_bytes_get_size (msg) - 1, NULL, NULL))
    {
      g_atomic_int_inc (&c->dev->rejected);
      conn_send_reject (c, "Handshake MAC failure");
      return FALSE;
    }
  espy_api_noise_server_hello_encode (body, "scripted", "acbc32890ea9");
  espy_api_frame_encode_noise (out, body->data, body->len);
  g_byte_array_set_size (body, 0);
  g_byte_array_append (body, &ok, 1);
  g_assert_true (espy_noise_handshake_write_message (hs, NULL, 0, body, NULL));
  espy_api_frame_encode_noise (out, body->data, body->len);
  g_assert_true (espy_noise_handshake_split (hs, &c->send, &c->recv, NULL));
  c->noise = TRUE;
  return conn_send (c, out->data, out->len);
}

static gboolean
conn_answer (Conn    *c,
             guint32  type,
             GBytes  *payload)
{
  Dev *dev = c->dev;

  switch (type)
    {
    case ESPY_API_MSG_HELLO_REQUEST:
      {
        EspyApi__HelloResponse r = ESPY_API__HELLO_RESPONSE__INIT;

        r.api_version_major = 1;
        r.api_version_minor = 13;
        r.server_info = (char *) "scripted 1.0";
        r.name = (char *) "scripted";
        return conn_send_msg (c, &r.base);
      }
    case ESPY_API_MSG_CONNECT_REQUEST:
      {
        EspyApi__ConnectResponse r = ESPY_API__CONNECT_RESPONSE__INIT;

        return conn_send_msg (c, &r.base);
      }
    case ESPY_API_MSG_DEVICE_INFO_REQUEST:
      {
        EspyApi__DeviceInfoResponse r = ESPY_API__DEVICE_INFO_RESPONSE__INIT;
        g_autofree char *version = NULL;

        g_mutex_lock (&dev->lock);
        version = g_strdup (dev->version);
        g_mutex_unlock (&dev->lock);
        r.name = (char *) "scripted";
        r.friendly_name = (char *) "Scripted Device";
        r.mac_address = (char *) "AC:BC:32:89:0E:A9";
        r.esphome_version = version;
        r.compilation_time = (char *) "May 20 2025, 10:00:00";
        r.model = (char *) "esp32dev";
        r.manufacturer = (char *) "Espressif";
        r.suggested_area = (char *) "Kitchen";
        r.api_encryption_supported = TRUE;
        return conn_send_msg (c, &r.base);
      }
    case ESPY_API_MSG_SUBSCRIBE_LOGS_REQUEST:
      {
        g_autoptr(EspyApi__SubscribeLogsRequest) req =
          (EspyApi__SubscribeLogsRequest *) espy_api_message_unpack (type, g_bytes_get_data (payload, NULL),
                                                                     g_bytes_get_size (payload));
        g_atomic_int_set (&dev->dump_config, req->dump_config);
        g_atomic_int_set (&dev->subscribed, 1);
        return TRUE;
      }
    case ESPY_API_MSG_PING_REQUEST:
      {
        EspyApi__PingResponse r = ESPY_API__PING_RESPONSE__INIT;

        g_atomic_int_inc (&dev->pings_seen);
        if (g_atomic_int_get (&dev->silent))
          return TRUE;
        return conn_send_msg (c, &r.base);
      }
    case ESPY_API_MSG_DISCONNECT_REQUEST:
      {
        EspyApi__DisconnectResponse r = ESPY_API__DISCONNECT_RESPONSE__INIT;

        conn_send_msg (c, &r.base);
        return FALSE;
      }
    default:
      return TRUE;
    }
}

static gboolean
conn_send_log (Conn  *c,
               guint  n)
{
  EspyApi__SubscribeLogsResponse r = ESPY_API__SUBSCRIBE_LOGS_RESPONSE__INIT;
  g_autofree char *text = g_strdup_printf ("\033[0;32m[I][test:%03u]: tick %u\033[0m", 10 + n % 5, n);

  r.level = ESPY_API__LOG_LEVEL__LOG_LEVEL_INFO;
  r.message.data = (guint8 *) text;
  r.message.len = strlen (text);
  return conn_send_msg (c, &r.base);
}

/* Serves one client; TRUE when the device "reboots" after it. */
static gboolean
dev_serve (Dev     *dev,
           GSocket *sock)
{
  Conn c = { dev, sock, g_byte_array_new (), NULL, NULL, FALSE };
  gint64 next_log = 0;
  guint n = 0;
  gboolean reboot = FALSE;

  g_atomic_int_set (&dev->subscribed, 0);
  if (dev->key != NULL && !conn_handshake (&c))
    goto out;

  while (!g_atomic_int_get (&dev->stop))
    {
      guint32 type = 0;
      GBytes *payload;
      gboolean keep = TRUE;

      if (g_atomic_int_get (&dev->reboot))
        {
          EspyApi__DisconnectRequest bye = ESPY_API__DISCONNECT_REQUEST__INIT;

          conn_send_msg (&c, &bye.base);
          reboot = TRUE;
          break;
        }
      if (!conn_fill (&c, 10))
        break;
      while (keep && (payload = conn_take_msg (&c, &type)) != NULL)
        {
          keep = conn_answer (&c, type, payload);
          g_bytes_unref (payload);
        }
      if (!keep)
        break;
      if (g_atomic_int_get (&dev->subscribed) && !g_atomic_int_get (&dev->silent) &&
          g_get_monotonic_time () >= next_log)
        {
          if (!conn_send_log (&c, n++))
            break;
          next_log = g_get_monotonic_time () + (gint64) g_atomic_int_get (&dev->log_interval_ms) * 1000;
        }
    }

out:
  g_socket_close (sock, NULL);
  g_byte_array_unref (c.rx);
  g_clear_pointer (&c.send, espy_noise_cipher_free);
  g_clear_pointer (&c.recv, espy_noise_cipher_free);
  return reboot;
}

static GSocket *
dev_listen (guint16 port,
            guint16 *bound_port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_bind (listener, addr, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);
  if (bound_port != NULL)
    *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return listener;
}

static gpointer
dev_thread (gpointer data)
{
  Dev *dev = data;

  while (!g_atomic_int_get (&dev->stop))
    {
      GSocket *sock;

      if (!g_socket_condition_timed_wait (dev->listener, G_IO_IN, 50 * 1000, NULL, NULL))
        continue;
      sock = g_socket_accept (dev->listener, NULL, NULL);
      if (sock == NULL)
        continue;
      g_atomic_int_inc (&dev->connections);
      if (dev_serve (dev, sock))
        {
          /* Down for a while: connections are refused, then it is back
           * with the new firmware. */
          g_socket_close (dev->listener, NULL);
          g_clear_object (&dev->listener);
          g_usleep (dev->down_ms * 1000);
          g_mutex_lock (&dev->lock);
          g_free (dev->version);
          dev->version = g_strdup ("2025.11.0");
          g_mutex_unlock (&dev->lock);
          dev->listener = dev_listen (dev->port, NULL);
          g_atomic_int_set (&dev->reboot, 0);
        }
      g_object_unref (sock);
    }
  return NULL;
}

static Dev *
dev_new (const char *key)
{
  Dev *dev = g_new0 (Dev, 1);

  g_mutex_init (&dev->lock);
  dev->key = g_strdup (key);
  dev->version = g_strdup ("2025.10.1");
  dev->log_interval_ms = 20;
  dev->down_ms = 600;
  dev->listener = dev_listen (0, &dev->port);
  dev->thread = g_thread_new ("scripted-device", dev_thread, dev);
  return dev;
}

static void
dev_free (Dev *dev)
{
  g_atomic_int_set (&dev->stop, 1);
  g_thread_join (dev->thread);
  g_clear_object (&dev->listener);
  g_free (dev->key);
  g_free (dev->version);
  g_mutex_clear (&dev->lock);
  g_free (dev);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Dev, dev_free)

/* ---- the session side --------------------------------------------------------- */

typedef struct {
  GPtrArray *lines;         /* text of each ::line */
  GPtrArray *states;        /* state nicks, in order, without repeats */
  guint key_needed;
  char *key_reason;
  guint credentials_needed;
  char *credentials_reason;
} Watch;

static void
on_line (EspyLogSession *session,
         EspyLogLine    *line,
         const char     *raw,
         Watch          *w)
{
  g_assert_nonnull (raw);
  g_ptr_array_add (w->lines, g_strdup (line->text));
}

static void
on_state (EspyLogSession *session,
          GParamSpec     *pspec,
          Watch          *w)
{
  const char *nick = espy_log_session_state_to_nick (espy_log_session_get_state (session));

  if (w->states->len == 0 || !g_str_equal (g_ptr_array_index (w->states, w->states->len - 1), nick))
    g_ptr_array_add (w->states, g_strdup (nick));
}

static void
on_key_needed (EspyLogSession *session,
               const char     *reason,
               Watch          *w)
{
  w->key_needed++;
  g_free (w->key_reason);
  w->key_reason = g_strdup (reason);
}

static void
on_credentials_needed (EspyLogSession *session,
                       const char     *reason,
                       Watch          *w)
{
  /* Emitted after the state became FAILED, with the flag a prompt reads. */
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_FAILED);
  g_assert_true (espy_log_session_get_web_credentials_needed (session));
  w->credentials_needed++;
  g_free (w->credentials_reason);
  w->credentials_reason = g_strdup (reason);
}

static void
watch_init (Watch          *w,
            EspyLogSession *session)
{
  w->lines = g_ptr_array_new_with_free_func (g_free);
  w->states = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (session, "line", G_CALLBACK (on_line), w);
  g_signal_connect (session, "notify::state", G_CALLBACK (on_state), w);
  g_signal_connect (session, "key-needed", G_CALLBACK (on_key_needed), w);
  g_signal_connect (session, "credentials-needed", G_CALLBACK (on_credentials_needed), w);
}

static void
watch_clear (Watch *w)
{
  g_clear_pointer (&w->lines, g_ptr_array_unref);
  g_clear_pointer (&w->states, g_ptr_array_unref);
  g_clear_pointer (&w->key_reason, g_free);
  g_clear_pointer (&w->credentials_reason, g_free);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates until COND holds; fails the test after TIMEOUT_MS. */
#define WAIT_UNTIL(cond, timeout_ms)                                      \
  G_STMT_START {                                                           \
    gboolean timed_out_ = FALSE;                                           \
    guint id_ = g_timeout_add ((timeout_ms), timeout_cb, &timed_out_);     \
    while (!(cond) && !timed_out_)                                         \
      g_main_context_iteration (NULL, TRUE);                               \
    if (!timed_out_)                                                       \
      g_source_remove (id_);                                               \
    if (!(cond))                                                           \
      g_error ("timed out waiting for %s", #cond);                         \
  } G_STMT_END

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static EspyLogSession *
session_for (Dev *dev)
{
  EspyLogSession *session = espy_log_session_new ("scripted", "127.0.0.1", dev->port);

  espy_log_session_set_use_keyring (session, FALSE);
  espy_log_session_set_backoff (session, 100, 400);
  return session;
}

static gboolean
has_state (Watch      *w,
           const char *nick)
{
  for (guint i = 0; i < w->states->len; i++)
    if (g_str_equal (g_ptr_array_index (w->states, i), nick))
      return TRUE;
  return FALSE;
}

/* ---- tests -------------------------------------------------------------------- */

static void
test_plaintext_stream (void)
{
  g_autoptr(Dev) dev = dev_new (NULL);
  g_autoptr(EspyLogSession) session = session_for (dev);
  const EspyApiDetails *details;
  g_autoptr(JsonNode) json = NULL;
  JsonObject *obj;
  Watch w = { 0 };

  watch_init (&w, session);
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_IDLE);
  espy_log_session_start (session);
  WAIT_UNTIL (w.lines->len >= 5, 5000);
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_STREAMING);
  g_assert_false (espy_log_session_get_encrypted (session));
  g_assert_cmpint (espy_log_session_get_active_transport (session), ==, ESPY_LOG_TRANSPORT_API);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (w.lines, 0), "tick "));
  g_assert_cmpint (g_atomic_int_get (&dev->dump_config), ==, 1);

  details = espy_log_session_get_details (session);
  g_assert_nonnull (details);
  g_assert_cmpstr (details->esphome_version, ==, "2025.10.1");
  g_assert_cmpstr (details->model, ==, "esp32dev");
  g_assert_cmpstr (details->manufacturer, ==, "Espressif");
  g_assert_cmpstr (details->suggested_area, ==, "Kitchen");
  g_assert_cmpstr (details->mac, ==, "AC:BC:32:89:0E:A9");
  g_assert_cmpuint (details->api_version_minor, ==, 13);
  json = espy_api_details_to_json (details);
  obj = json_node_get_object (json);
  g_assert_cmpstr (json_object_get_string_member (obj, "compilation_time"), ==, "May 20 2025, 10:00:00");
  g_assert_cmpstr (json_object_get_string_member (obj, "api_version"), ==, "1.13");
  g_assert_true (json_object_get_boolean_member (obj, "api_encryption_supported"));
  g_assert_cmpstr (json_object_get_string_member (obj, "server_info"), ==, "scripted 1.0");

  g_assert_cmpstr (w.states->pdata[0], ==, "connecting");
  g_assert_cmpstr (w.states->pdata[1], ==, "streaming");

  espy_log_session_stop (session);
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_IDLE);
  watch_clear (&w);
}

/* The level filter applies to what is emitted: INFO lines above ERROR are not. */
static void
test_level (void)
{
  g_autoptr(Dev) dev = dev_new (NULL);
  g_autoptr(EspyLogSession) session = session_for (dev);
  Watch w = { 0 };

  watch_init (&w, session);
  espy_log_session_set_level (session, ESPY_LOG_LEVEL_ERROR);
  espy_log_session_set_dump_config (session, FALSE);
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 5000);
  spin (300);
  g_assert_cmpint (g_atomic_int_get (&dev->dump_config), ==, 0);
  g_assert_cmpuint (w.lines->len, ==, 0);
  watch_clear (&w);
}

/* Keep-alive with short timers: a device that stops answering is given up
 * on, and the session reconnects on its own. */
static void
test_keepalive (void)
{
  g_autoptr(Dev) dev = dev_new (NULL);
  g_autoptr(EspyLogSession) session = session_for (dev);
  const GError *error;
  Watch w = { 0 };
  gint64 silent_at;

  watch_init (&w, session);
  espy_log_session_set_timeouts (session, 2000, 100, 400, 0);
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 5000);

  /* While it answers, the client pings when idle and stays connected. */
  g_atomic_int_set (&dev->log_interval_ms, 1000000);
  spin (700);
  g_assert_cmpint (g_atomic_int_get (&dev->pings_seen), >=, 2);
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_STREAMING);
  g_assert_cmpuint (espy_log_session_get_n_connects (session), ==, 1);

  g_atomic_int_set (&dev->silent, 1);
  silent_at = g_get_monotonic_time ();
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_RECONNECTING, 3000);
  /* Not before the keep-alive limit. */
  g_assert_cmpint (g_get_monotonic_time () - silent_at, >=, 300 * 1000);
  error = espy_log_session_get_error (session);
  g_assert_error (error, ESPY_API_ERROR, ESPY_API_ERROR_TIMEOUT);
  g_assert_cmpuint (espy_log_session_get_retry_seconds (session), >=, 1);
  g_assert_nonnull (strstr (espy_log_session_get_status (session), "reconnecting"));

  g_atomic_int_set (&dev->silent, 0);
  WAIT_UNTIL (espy_log_session_get_n_connects (session) == 2, 5000);
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_STREAMING);
  g_assert_null (espy_log_session_get_error (session));
  watch_clear (&w);
}

/* DisconnectRequest, the port closed for a while, back with a new version:
 * the session follows it and reads the new DeviceInfo. */
static void
test_reboot (void)
{
  g_autoptr(Dev) dev = dev_new (KEY);
  g_autoptr(EspyLogSession) session = session_for (dev);
  Watch w = { 0 };
  guint lines_before;

  watch_init (&w, session);
  g_assert_true (espy_log_session_set_key (session, KEY, NULL));
  espy_log_session_start (session);
  WAIT_UNTIL (w.lines->len >= 3, 5000);
  g_assert_true (espy_log_session_get_encrypted (session));
  g_assert_cmpstr (espy_log_session_get_details (session)->esphome_version, ==, "2025.10.1");
  g_assert_true (espy_log_session_get_details (session)->encrypted);

  g_atomic_int_set (&dev->reboot, 1);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_RECONNECTING, 3000);
  lines_before = w.lines->len;
  WAIT_UNTIL (espy_log_session_get_n_connects (session) == 2, 10000);
  g_assert_cmpstr (espy_log_session_get_details (session)->esphome_version, ==, "2025.11.0");
  /* While the port was closed, attempts failed and were retried. */
  g_assert_cmpint (g_atomic_int_get (&dev->connections), ==, 2);
  WAIT_UNTIL (w.lines->len > lines_before, 3000);
  g_assert_true (has_state (&w, "reconnecting"));
  watch_clear (&w);
}

/* The retry delays double from min up to max. */
static void
test_backoff (void)
{
  g_autoptr(Dev) dev = dev_new (NULL);
  guint16 port = dev->port;
  g_autoptr(EspyLogSession) session = NULL;
  gint64 t[5];
  Watch w = { 0 };

  /* Nothing listens on the port any more. */
  g_clear_pointer (&dev, dev_free);
  session = espy_log_session_new ("nothing", "127.0.0.1", port);
  espy_log_session_set_use_keyring (session, FALSE);
  espy_log_session_set_backoff (session, 100, 400);
  watch_init (&w, session);
  espy_log_session_start (session);
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_RECONNECTING, 3000);
      t[i] = g_get_monotonic_time ();
      WAIT_UNTIL (espy_log_session_get_state (session) != ESPY_LOG_SESSION_STATE_RECONNECTING, 3000);
    }
  g_assert_error (espy_log_session_get_error (session), ESPY_API_ERROR, ESPY_API_ERROR_CONNECT_FAILED);
  /* 100, 200, 400, 400 ms (plus the failing connects). */
  g_assert_cmpint (t[1] - t[0], >=, 90 * 1000);
  g_assert_cmpint (t[1] - t[0], <, 350 * 1000);
  g_assert_cmpint (t[2] - t[1], >=, 190 * 1000);
  g_assert_cmpint (t[3] - t[2], >=, 390 * 1000);
  g_assert_cmpint (t[4] - t[3], >=, 390 * 1000);
  g_assert_cmpint (t[4] - t[3], <, 800 * 1000);
  espy_log_session_stop (session);
  watch_clear (&w);
}

/* --- keys ---------------------------------------------------------------------- */

static gboolean keyring_available;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
keyring_store (const char *device,
               const char *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  espy_secrets_store_async (device, ESPY_SECRET_KIND_API_KEY, key, NULL, on_done, &result);
  WAIT_UNTIL (result != NULL, 10000);
  g_assert_true (espy_secrets_store_finish (result, &error));
  g_assert_no_error (error);
}

static char *
keyring_lookup (const char *device)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *key;

  espy_secrets_lookup_async (device, ESPY_SECRET_KIND_API_KEY, NULL, on_done, &result);
  WAIT_UNTIL (result != NULL, 10000);
  key = espy_secrets_lookup_finish (result, &error);
  g_assert_no_error (error);
  return key;
}

static void
keyring_clear (const char *device)
{
  g_autoptr(GAsyncResult) result = NULL;

  espy_secrets_clear_async (device, ESPY_SECRET_KIND_API_KEY, NULL, on_done, &result);
  WAIT_UNTIL (result != NULL, 10000);
  espy_secrets_clear_finish (result, NULL, NULL);
}

static EspyDeviceConfig *
config_with_key (const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("espy-log-session-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *yaml = NULL;
  g_autoptr(GFile) file = NULL;
  EspyDeviceConfig *config;

  g_assert_no_error (error);
  path = g_build_filename (dir, "scripted.yaml", NULL);
  yaml = g_strdup_printf ("esphome:\n  name: scripted\nesp32:\n  board: esp32dev\napi:\n%s",
                          key != NULL ? "  encryption:\n    key: " : "");
  if (key != NULL)
    {
      g_autofree char *full = g_strconcat (yaml, "\"", key, "\"\n", NULL);

      g_file_set_contents (path, full, -1, &error);
    }
  else
    g_file_set_contents (path, yaml, -1, &error);
  g_assert_no_error (error);
  file = g_file_new_for_path (path);
  config = espy_device_config_new_for_file (file, NULL, &error);
  g_assert_no_error (error);
  g_unlink (path);
  g_rmdir (dir);
  return config;
}

static EspyLogSession *
keyed_session (Dev              *dev,
               const char       *name,
               EspyDeviceConfig *config)
{
  EspyLogSession *session = espy_log_session_new (name, "127.0.0.1", dev->port);

  espy_log_session_set_backoff (session, 100, 400);
  espy_log_session_set_config (session, config);
  return session;
}

static void
test_key_order (void)
{
  g_autoptr(Dev) dev = dev_new (KEY);
  const char *name = "espy-test-log-session";

  if (!keyring_available)
    {
      g_test_skip ("no Secret Service (run inside tests/test-env.sh)");
      return;
    }

  /* 1. The YAML before the keyring: YAML right, keyring wrong. */
  {
    g_autoptr(EspyDeviceConfig) config = config_with_key (KEY);
    g_autoptr(EspyLogSession) session = keyed_session (dev, name, config);
    Watch w = { 0 };

    keyring_store (name, OTHER_KEY);
    watch_init (&w, session);
    espy_log_session_start (session);
    WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 10000);
    g_assert_true (espy_log_session_get_encrypted (session));
    g_assert_cmpuint (w.key_needed, ==, 0);
    watch_clear (&w);
  }

  /* 2. YAML wrong, keyring right: the YAML still wins, so the key is asked
   *    for (the keyring is not tried behind the YAML's back). */
  {
    g_autoptr(EspyDeviceConfig) config = config_with_key (OTHER_KEY);
    g_autoptr(EspyLogSession) session = keyed_session (dev, name, config);
    g_autoptr(GError) error = NULL;
    Watch w = { 0 };
    gint rejected = g_atomic_int_get (&dev->rejected);

    keyring_store (name, KEY);
    watch_init (&w, session);
    espy_log_session_start (session);
    WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_KEY_NEEDED, 10000);
    g_assert_cmpint (g_atomic_int_get (&dev->rejected), ==, rejected + 1);
    g_assert_cmpuint (w.key_needed, ==, 1);
    g_assert_nonnull (strstr (w.key_reason, "configuration"));
    g_assert_error (espy_log_session_get_error (session), ESPY_API_ERROR, ESPY_API_ERROR_WRONG_KEY);

    /* A malformed answer is refused and the session keeps waiting. */
    g_assert_false (espy_log_session_provide_key (session, "not-a-key", FALSE, &error));
    g_assert_error (error, ESPY_API_ERROR, ESPY_API_ERROR_INVALID_KEY);
    g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_KEY_NEEDED);
    watch_clear (&w);
  }

  /* 3. No YAML key: the keyring's. */
  {
    g_autoptr(EspyDeviceConfig) config = config_with_key (NULL);
    g_autoptr(EspyLogSession) session = keyed_session (dev, name, config);
    Watch w = { 0 };

    watch_init (&w, session);
    espy_log_session_start (session);
    WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 10000);
    g_assert_true (espy_log_session_get_encrypted (session));
    watch_clear (&w);
  }

  /* 4. Neither, and the TXT says encrypted: ask before connecting; the
   *    answer is remembered once the device accepted it. */
  keyring_clear (name);
  {
    g_autoptr(EspyLogSession) session = keyed_session (dev, name, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *stored = NULL;
    Watch w = { 0 };
    gint connections = g_atomic_int_get (&dev->connections);

    espy_log_session_set_api_encryption (session, ESPY_TRISTATE_YES);
    watch_init (&w, session);
    espy_log_session_start (session);
    WAIT_UNTIL (w.key_needed == 1, 10000);
    g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_KEY_NEEDED);
    g_assert_cmpint (g_atomic_int_get (&dev->connections), ==, connections);

    /* A wrong answer: asked again. */
    g_assert_true (espy_log_session_provide_key (session, OTHER_KEY, TRUE, &error));
    g_assert_no_error (error);
    WAIT_UNTIL (w.key_needed == 2, 10000);
    stored = keyring_lookup (name);
    g_assert_null (stored);

    g_assert_true (espy_log_session_provide_key (session, " " KEY "\n", TRUE, &error));
    WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 10000);
    /* Stored once the device accepted it (asynchronously). */
    for (guint i = 0; stored == NULL && i < 100; i++)
      {
        spin (50);
        stored = keyring_lookup (name);
      }
    g_assert_cmpstr (stored, ==, KEY);
    watch_clear (&w);
  }

  /* 5. Neither, TXT unknown: plaintext first; the device's "Bad indicator
   *    byte" turns into a key request. */
  keyring_clear (name);
  {
    g_autoptr(EspyLogSession) session = keyed_session (dev, name, NULL);
    Watch w = { 0 };

    watch_init (&w, session);
    espy_log_session_start (session);
    WAIT_UNTIL (w.key_needed == 1, 10000);
    g_assert_error (espy_log_session_get_error (session), ESPY_API_ERROR, ESPY_API_ERROR_KEY_REQUIRED);
    watch_clear (&w);
  }
}

/* A key given up front (--key-file) that is wrong fails: no prompt. */
static void
test_given_key_wrong (void)
{
  g_autoptr(Dev) dev = dev_new (KEY);
  g_autoptr(EspyLogSession) session = session_for (dev);
  g_autoptr(GError) error = NULL;
  Watch w = { 0 };

  g_assert_false (espy_log_session_set_key (session, "c2hvcnQ=", &error));
  g_assert_error (error, ESPY_API_ERROR, ESPY_API_ERROR_INVALID_KEY);
  g_assert_true (espy_log_session_set_key (session, OTHER_KEY, NULL));
  watch_init (&w, session);
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_FAILED, 5000);
  g_assert_error (espy_log_session_get_error (session), ESPY_API_ERROR, ESPY_API_ERROR_WRONG_KEY);
  g_assert_cmpuint (w.key_needed, ==, 0);
  g_assert_nonnull (strstr (espy_log_session_get_status (session), "Failed"));
  watch_clear (&w);
}

/* --- pause while an install has the device -------------------------------------- */

/* Stands in for the install manager's signal pair. */
#define TEST_TYPE_MANAGER (test_manager_get_type ())
G_DECLARE_FINAL_TYPE (TestManager, test_manager, TEST, MANAGER, GObject)
struct _TestManager { GObject parent_instance; };
G_DEFINE_FINAL_TYPE (TestManager, test_manager, G_TYPE_OBJECT)

static void
test_manager_class_init (TestManagerClass *klass)
{
  g_signal_new ("device-busy", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_STRING);
  g_signal_new ("device-free", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
test_manager_init (TestManager *self)
{
}

static void
test_pause (void)
{
  g_autoptr(Dev) dev = dev_new (NULL);
  g_autoptr(EspyLogSession) session = session_for (dev);
  g_autoptr(TestManager) manager = g_object_new (TEST_TYPE_MANAGER, NULL);
  Watch w = { 0 };
  guint n;

  watch_init (&w, session);
  espy_log_session_set_install_manager (session, G_OBJECT (manager));
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 5000);

  /* Another device's install changes nothing. */
  g_signal_emit_by_name (manager, "device-busy", "other");
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_STREAMING);

  g_signal_emit_by_name (manager, "device-busy", "SCRIPTED");
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_PAUSED);
  spin (100);
  n = w.lines->len;
  spin (400);
  /* The connection is closed: nothing arrives, no reconnect happens. */
  g_assert_cmpuint (w.lines->len, ==, n);
  g_assert_cmpint (g_atomic_int_get (&dev->connections), ==, 1);
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_PAUSED);

  g_signal_emit_by_name (manager, "device-free", "scripted");
  WAIT_UNTIL (espy_log_session_get_n_connects (session) == 2, 5000);
  WAIT_UNTIL (w.lines->len > n, 3000);

  /* Nested pauses: only the last resume reconnects. */
  espy_log_session_pause (session);
  espy_log_session_pause (session);
  espy_log_session_resume (session);
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_PAUSED);
  espy_log_session_resume (session);
  WAIT_UNTIL (espy_log_session_get_n_connects (session) == 3, 5000);
  watch_clear (&w);
}

/* --- /events -------------------------------------------------------------------- */

static void
events_with_auth (EspySimWebFlavour flavour)
{
  g_autoptr(EspySimWebServer) server = espy_sim_web_server_new (flavour);
  g_autoptr(EspyLogSession) session = NULL;
  g_autoptr(GError) error = NULL;
  Watch w = { 0 };

  espy_sim_web_server_set_auth (server, "admin", "s3cret-web");
  espy_sim_web_server_set_log_rate (server, 50);
  g_assert_true (espy_sim_web_server_start (server, &error));
  g_assert_no_error (error);

  session = espy_log_session_new ("webonly", "127.0.0.1", 1);
  espy_log_session_set_use_keyring (session, FALSE);
  espy_log_session_set_backoff (session, 100, 400);
  espy_log_session_set_has_api (session, FALSE);
  espy_log_session_set_web_port (session, espy_sim_web_server_get_port (server));
  watch_init (&w, session);

  /* Wrong credentials: a failure no retry fixes. */
  espy_log_session_set_web_credentials (session, "admin", "wrong");
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_FAILED, 5000);
  g_assert_error (espy_log_session_get_error (session), ESPY_EVENT_STREAM_ERROR,
                  ESPY_EVENT_STREAM_ERROR_WRONG_CREDENTIALS);
  espy_log_session_stop (session);

  espy_log_session_set_web_credentials (session, "admin", "s3cret-web");
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 5000);
  g_assert_cmpint (espy_log_session_get_active_transport (session), ==, ESPY_LOG_TRANSPORT_EVENTS);
  espy_sim_web_server_emit_log (server, 'W', "marker", 7, "from the web server");
  WAIT_UNTIL (g_ptr_array_find_with_equal_func (w.lines, "from the web server", g_str_equal, NULL), 5000);
  g_assert_nonnull (strstr (espy_log_session_get_status (session), "web server"));

  /* The device reboots: the stream ends, the session comes back. */
  espy_sim_web_server_stop (server);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_RECONNECTING, 5000);
  g_assert_true (espy_sim_web_server_start (server, &error));
  WAIT_UNTIL (espy_log_session_get_n_connects (session) == 2, 10000);
  watch_clear (&w);
}

static void
test_events_basic (void)
{
  events_with_auth (ESPY_SIM_WEB_FLAVOUR_ESP_IDF);
}

static void
test_events_digest (void)
{
  events_with_auth (ESPY_SIM_WEB_FLAVOUR_ARDUINO);
}

static void
keyring_set (const char     *device,
             EspySecretKind  kind,
             const char     *secret)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (secret != NULL)
    {
      espy_secrets_store_async (device, kind, secret, NULL, on_done, &result);
      WAIT_UNTIL (result != NULL, 10000);
      g_assert_true (espy_secrets_store_finish (result, &error));
      g_assert_no_error (error);
    }
  else
    {
      espy_secrets_clear_async (device, kind, NULL, on_done, &result);
      WAIT_UNTIL (result != NULL, 10000);
      espy_secrets_clear_finish (result, NULL, NULL);
    }
}

/* No credentials given and none in a YAML: the keyring's, as for the API
 * key; Digest (the Arduino web server). */
static void
test_events_keyring (void)
{
  g_autoptr(EspySimWebServer) server = espy_sim_web_server_new (ESPY_SIM_WEB_FLAVOUR_ARDUINO);
  g_autoptr(EspyLogSession) session = NULL;
  g_autoptr(GError) error = NULL;
  Watch w = { 0 };

  if (!keyring_available)
    {
      g_test_skip ("no Secret Service on the session bus (run inside tests/test-env.sh)");
      return;
    }
  espy_sim_web_server_set_auth (server, "webadmin", "k3yring-web");
  espy_sim_web_server_set_log_rate (server, 50);
  g_assert_true (espy_sim_web_server_start (server, &error));
  g_assert_no_error (error);

  session = espy_log_session_new ("webkeyring", "127.0.0.1", 1);
  espy_log_session_set_backoff (session, 100, 400);
  espy_log_session_set_has_api (session, FALSE);
  espy_log_session_set_web_port (session, espy_sim_web_server_get_port (server));
  watch_init (&w, session);

  /* Nothing stored: the device asks for credentials, the session says so. */
  keyring_set ("webkeyring", ESPY_SECRET_KIND_WEB_USER, NULL);
  keyring_set ("webkeyring", ESPY_SECRET_KIND_WEB_PASSWORD, NULL);
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_FAILED, 10000);
  g_assert_error (espy_log_session_get_error (session), ESPY_EVENT_STREAM_ERROR,
                  ESPY_EVENT_STREAM_ERROR_AUTH_REQUIRED);
  espy_log_session_stop (session);

  /* A wrong password in the keyring. */
  keyring_set ("webkeyring", ESPY_SECRET_KIND_WEB_USER, "webadmin");
  keyring_set ("webkeyring", ESPY_SECRET_KIND_WEB_PASSWORD, "not-it");
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_FAILED, 10000);
  g_assert_error (espy_log_session_get_error (session), ESPY_EVENT_STREAM_ERROR,
                  ESPY_EVENT_STREAM_ERROR_WRONG_CREDENTIALS);
  g_assert_null (strstr (espy_log_session_get_error (session)->message, "not-it"));
  espy_log_session_stop (session);

  /* The right one: each start looks again. */
  keyring_set ("webkeyring", ESPY_SECRET_KIND_WEB_PASSWORD, "k3yring-web");
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 10000);
  espy_sim_web_server_emit_log (server, 'W', "marker", 7, "through keyring credentials");
  WAIT_UNTIL (g_ptr_array_find_with_equal_func (w.lines, "through keyring credentials", g_str_equal, NULL), 5000);
  espy_log_session_stop (session);

  /* Given credentials come first. */
  espy_log_session_set_web_credentials (session, "webadmin", "wrong-given");
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_FAILED, 10000);
  g_assert_error (espy_log_session_get_error (session), ESPY_EVENT_STREAM_ERROR,
                  ESPY_EVENT_STREAM_ERROR_WRONG_CREDENTIALS);
  espy_log_session_stop (session);

  keyring_set ("webkeyring", ESPY_SECRET_KIND_WEB_USER, NULL);
  keyring_set ("webkeyring", ESPY_SECRET_KIND_WEB_PASSWORD, NULL);
  watch_clear (&w);
}

static char *
keyring_get (const char     *device,
             EspySecretKind  kind)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *secret;

  espy_secrets_lookup_async (device, kind, NULL, on_done, &result);
  WAIT_UNTIL (result != NULL, 10000);
  secret = espy_secrets_lookup_finish (result, &error);
  g_assert_no_error (error);
  return secret;
}

/* Neither the YAML nor the keyring has the web server's credentials: the
 * session asks (::credentials-needed), takes the user's, says so when they
 * are wrong and asks again, and stores them only once the web server took
 * them. Basic auth (the ESP-IDF web server). */
static void
test_events_prompt (void)
{
  g_autoptr(EspySimWebServer) server = espy_sim_web_server_new (ESPY_SIM_WEB_FLAVOUR_ESP_IDF);
  g_autoptr(EspyLogSession) session = NULL;
  g_autoptr(GError) error = NULL;
  Watch w = { 0 };

  if (!keyring_available)
    {
      g_test_skip ("no Secret Service on the session bus (run inside tests/test-env.sh)");
      return;
    }
  espy_sim_web_server_set_auth (server, "webadmin", "Pr0mpt-web-pass");
  espy_sim_web_server_set_log_rate (server, 50);
  g_assert_true (espy_sim_web_server_start (server, &error));
  g_assert_no_error (error);
  keyring_set ("webprompt", ESPY_SECRET_KIND_WEB_USER, NULL);
  keyring_set ("webprompt", ESPY_SECRET_KIND_WEB_PASSWORD, NULL);

  session = espy_log_session_new ("webprompt", "127.0.0.1", 1);
  espy_log_session_set_backoff (session, 100, 400);
  espy_log_session_set_has_api (session, FALSE);
  espy_log_session_set_web_port (session, espy_sim_web_server_get_port (server));
  watch_init (&w, session);

  espy_log_session_start (session);
  WAIT_UNTIL (w.credentials_needed == 1, 10000);
  g_assert_error (espy_log_session_get_error (session), ESPY_EVENT_STREAM_ERROR,
                  ESPY_EVENT_STREAM_ERROR_AUTH_REQUIRED);
  g_assert_nonnull (strstr (w.credentials_reason, "user name and password"));
  g_assert_null (espy_log_session_get_web_user (session));

  /* No user name: refused at once, still waiting. */
  g_assert_false (espy_log_session_provide_web_credentials (session, "", "x", TRUE, &error));
  g_assert_error (error, ESPY_LOG_SESSION_ERROR, ESPY_LOG_SESSION_ERROR_NO_USER);
  g_clear_error (&error);
  g_assert_true (espy_log_session_get_web_credentials_needed (session));

  /* A wrong password: said so, asked again, nothing stored. */
  g_assert_true (espy_log_session_provide_web_credentials (session, "webadmin", "Wr0ng-web-pass", TRUE, &error));
  g_assert_no_error (error);
  g_assert_false (espy_log_session_get_web_credentials_needed (session));
  WAIT_UNTIL (w.credentials_needed == 2, 10000);
  g_assert_error (espy_log_session_get_error (session), ESPY_EVENT_STREAM_ERROR,
                  ESPY_EVENT_STREAM_ERROR_WRONG_CREDENTIALS);
  g_assert_nonnull (strstr (w.credentials_reason, "rejected"));
  g_assert_null (strstr (w.credentials_reason, "Wr0ng"));
  g_assert_null (strstr (espy_log_session_get_status (session), "Wr0ng"));
  g_assert_cmpstr (espy_log_session_get_web_user (session), ==, "webadmin");
  {
    g_autofree char *user = keyring_get ("webprompt", ESPY_SECRET_KIND_WEB_USER);
    g_autofree char *password = keyring_get ("webprompt", ESPY_SECRET_KIND_WEB_PASSWORD);

    g_assert_null (user);
    g_assert_null (password);
  }

  /* The right ones, remembered: lines stream, the keyring has them. */
  g_assert_true (espy_log_session_provide_web_credentials (session, "webadmin", "Pr0mpt-web-pass", TRUE, &error));
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 10000);
  espy_sim_web_server_emit_log (server, 'W', "marker", 7, "through prompted credentials");
  WAIT_UNTIL (g_ptr_array_find_with_equal_func (w.lines, "through prompted credentials", g_str_equal, NULL), 5000);
  g_assert_cmpuint (w.credentials_needed, ==, 2);
  {
    g_autofree char *user = NULL;
    g_autofree char *password = NULL;

    /* Stored in the background. */
    for (guint i = 0; i < 100 && (user == NULL || password == NULL); i++)
      {
        g_clear_pointer (&user, g_free);
        g_clear_pointer (&password, g_free);
        user = keyring_get ("webprompt", ESPY_SECRET_KIND_WEB_USER);
        password = keyring_get ("webprompt", ESPY_SECRET_KIND_WEB_PASSWORD);
        if (user == NULL || password == NULL)
          spin (50);
      }
    g_assert_cmpstr (user, ==, "webadmin");
    g_assert_cmpstr (password, ==, "Pr0mpt-web-pass");
  }
  espy_log_session_stop (session);
  watch_clear (&w);
  memset (&w, 0, sizeof w);
  g_clear_object (&session);

  /* A new session finds them in the keyring: no prompt. */
  session = espy_log_session_new ("webprompt", "127.0.0.1", 1);
  espy_log_session_set_backoff (session, 100, 400);
  espy_log_session_set_has_api (session, FALSE);
  espy_log_session_set_web_port (session, espy_sim_web_server_get_port (server));
  watch_init (&w, session);
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 10000);
  g_assert_cmpuint (w.credentials_needed, ==, 0);
  espy_log_session_stop (session);

  /* The password changed on the device: the stored one is named as stale;
   * right ones without Remember stream but leave the keyring alone. */
  espy_sim_web_server_set_auth (server, "webadmin", "N3w-web-pass");
  espy_log_session_start (session);
  WAIT_UNTIL (w.credentials_needed == 1, 10000);
  g_assert_nonnull (strstr (w.credentials_reason, "stored"));
  g_assert_true (espy_log_session_provide_web_credentials (session, "webadmin", "N3w-web-pass", FALSE, &error));
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 10000);
  spin (300);
  {
    g_autofree char *password = keyring_get ("webprompt", ESPY_SECRET_KIND_WEB_PASSWORD);

    g_assert_cmpstr (password, ==, "Pr0mpt-web-pass");
  }
  espy_log_session_stop (session);

  /* Credentials the caller gave are the caller's to fix: no prompt. */
  espy_log_session_set_web_credentials (session, "webadmin", "wrong-given");
  espy_log_session_start (session);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_FAILED, 10000);
  g_assert_cmpuint (w.credentials_needed, ==, 1);
  g_assert_false (espy_log_session_get_web_credentials_needed (session));
  espy_log_session_stop (session);

  keyring_set ("webprompt", ESPY_SECRET_KIND_WEB_USER, NULL);
  keyring_set ("webprompt", ESPY_SECRET_KIND_WEB_PASSWORD, NULL);
  watch_clear (&w);
}

/* AUTO: the API port refuses, a web server is known: /events. */
static void
test_events_fallback (void)
{
  g_autoptr(EspySimWebServer) server = espy_sim_web_server_new (ESPY_SIM_WEB_FLAVOUR_ESP_IDF);
  g_autoptr(Dev) dev = dev_new (NULL);
  guint16 dead_port = dev->port;
  g_autoptr(EspyLogSession) session = NULL;
  g_autoptr(GError) error = NULL;
  Watch w = { 0 };

  g_clear_pointer (&dev, dev_free);
  espy_sim_web_server_set_log_rate (server, 50);
  g_assert_true (espy_sim_web_server_start (server, &error));
  session = espy_log_session_new ("fallback", "127.0.0.1", dead_port);
  espy_log_session_set_use_keyring (session, FALSE);
  espy_log_session_set_web_port (session, espy_sim_web_server_get_port (server));
  watch_init (&w, session);
  espy_log_session_start (session);
  WAIT_UNTIL (w.lines->len >= 2, 5000);
  g_assert_cmpint (espy_log_session_get_active_transport (session), ==, ESPY_LOG_TRANSPORT_EVENTS);
  g_assert_null (espy_log_session_get_details (session));

  /* Without a web server and without the API: a clear failure. */
  {
    g_autoptr(EspyLogSession) none = espy_log_session_new ("none", "127.0.0.1", dead_port);

    espy_log_session_set_has_api (none, FALSE);
    espy_log_session_start (none);
    g_assert_cmpint (espy_log_session_get_state (none), ==, ESPY_LOG_SESSION_STATE_FAILED);
    g_assert_error (espy_log_session_get_error (none), ESPY_LOG_SESSION_ERROR,
                    ESPY_LOG_SESSION_ERROR_NO_TRANSPORT);
  }
  watch_clear (&w);
}

static void
check_keyring (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr(GVariant) reply = NULL;

  if (bus == NULL)
    return;
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &keyring_available);
  /* gnome-keyring may be activatable rather than running. */
  if (!keyring_available)
    {
      g_autoptr(GVariant) names = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                               "org.freedesktop.DBus", "ListActivatableNames",
                                                               NULL, G_VARIANT_TYPE ("(as)"),
                                                               G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
      g_autofree const char **list = NULL;

      if (names != NULL)
        {
          g_variant_get (names, "(^a&s)", &list);
          keyring_available = g_strv_contains (list, "org.freedesktop.secrets");
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  check_keyring ();

  g_test_add_func ("/log-session/plaintext-stream", test_plaintext_stream);
  g_test_add_func ("/log-session/level", test_level);
  g_test_add_func ("/log-session/keepalive", test_keepalive);
  g_test_add_func ("/log-session/reboot", test_reboot);
  g_test_add_func ("/log-session/backoff", test_backoff);
  g_test_add_func ("/log-session/key-order", test_key_order);
  g_test_add_func ("/log-session/given-key-wrong", test_given_key_wrong);
  g_test_add_func ("/log-session/pause", test_pause);
  g_test_add_func ("/log-session/events-basic", test_events_basic);
  g_test_add_func ("/log-session/events-digest", test_events_digest);
  g_test_add_func ("/log-session/events-keyring", test_events_keyring);
  g_test_add_func ("/log-session/events-prompt", test_events_prompt);
  g_test_add_func ("/log-session/events-fallback", test_events_fallback);
  return g_test_run ();
}
