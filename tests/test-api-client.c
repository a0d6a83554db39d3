/* test-api-client.c: EspyApiClient against a tiny scripted device.
 *
 * Each test starts a device thread on 127.0.0.1 with blocking sockets that
 * plays one script written from docs/esphome-wire.md section 5 (and the
 * byte-exact replies in tests/vectors/esphome-api-frames.json), while the
 * main thread drives the client on its main loop. Assertions in the device
 * thread abort the test like any other.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "espy-api-client.h"
#include "espy-api-frame.h"
#include "espy-noise.h"

/* The vectors' key and a different valid one. */
#define KEY       "QRTIErOb/fcE9Ukd/5qA3RGYMn0Y+p06U58SCtOXvPc="
#define OTHER_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static JsonNode *vectors;

static GBytes *
hex (const char *text)
{
  gsize len = strlen (text);
  guint8 *data = g_malloc (len / 2 + 1);

  g_assert_cmpuint (len % 2, ==, 0);
  for (gsize i = 0; i < len / 2; i++)
    {
      int hi = g_ascii_xdigit_value (text[2 * i]);
      int lo = g_ascii_xdigit_value (text[2 * i + 1]);

      g_assert_true (hi >= 0 && lo >= 0);
      data[i] = (guint8) (hi << 4 | lo);
    }
  return g_bytes_new_take (data, len / 2);
}

static GBytes *
vector (const char *section,
        const char *name)
{
  JsonObject *obj = json_object_get_object_member (json_node_get_object (vectors), section);

  return hex (json_object_get_string_member (obj, name));
}

/* ---- the scripted device (runs in its own thread) -------------------- */

typedef struct _Device Device;
typedef void (*Script) (Device *dev);

struct _Device
{
  GSocket *listener;
  guint16 port;
  GThread *thread;
  Script script;
  const char *key;           /* base64 PSK when the device is encrypted */

  GSocket *sock;
  GByteArray *rx;
  gboolean noise;            /* transport is encrypted */
  EspyNoiseCipher *send;
  EspyNoiseCipher *recv;

  /* Results, read by the main thread after joining. */
  guint pings_answered;
  guint pings_seen;
  gint64 last_answer_us;
  gint64 first_ping_us;
  gint64 connected_us;
  gint done;                 /* atomic: the script returned */
};

static Device *
device_new (Script      script,
            const char *key)
{
  Device *dev = g_new0 (Device, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  dev->script = script;
  dev->key = key;
  dev->rx = g_byte_array_new ();
  dev->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (dev->listener, addr, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (dev->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (dev->listener, &error);
  g_assert_no_error (error);
  dev->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  /* Nothing in a test should wait this long: fail instead of hanging. */
  g_socket_set_timeout (dev->listener, 10);
  return dev;
}

static void
dev_accept (Device *dev)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&dev->sock);
  g_byte_array_set_size (dev->rx, 0);
  g_clear_pointer (&dev->send, espy_noise_cipher_free);
  g_clear_pointer (&dev->recv, espy_noise_cipher_free);
  dev->noise = FALSE;
  dev->sock = g_socket_accept (dev->listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (dev->sock, 10);
  dev->connected_us = g_get_monotonic_time ();
}

/* One recv into rx; returns the byte count, 0 at EOF. */
static gssize
dev_recv (Device *dev)
{
  guint8 buf[4096];
  g_autoptr(GError) error = NULL;
  gssize n = g_socket_receive (dev->sock, (char *) buf, sizeof buf, NULL, &error);

  /* A reset counts as the client closing. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return 0;
  g_assert_no_error (error);
  g_byte_array_append (dev->rx, buf, (guint) n);
  return n;
}

static void
dev_expect_eof (Device *dev)
{
  /* The client may still have bytes in flight: drain until it closes. */
  while (dev_recv (dev) > 0)
    ;
}

static void
dev_close (Device *dev)
{
  g_socket_close (dev->sock, NULL);
  g_clear_object (&dev->sock);
}

static void
dev_send (Device       *dev,
          const guint8 *data,
          gsize         len)
{
  g_autoptr(GError) error = NULL;
  gsize sent = 0;

  while (sent < len)
    {
      gssize n = g_socket_send (dev->sock, (const char *) data + sent, len - sent, NULL, &error);

      g_assert_no_error (error);
      sent += (gsize) n;
    }
}

static void
dev_send_bytes (Device *dev,
                GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  dev_send (dev, data, len);
}

/* The next whole plaintext frame; its payload (type in *TYPE). */
static GBytes *
dev_read_plain (Device  *dev,
                guint32 *type)
{
  for (;;)
    {
      EspyApiFrame frame;
      EspyApiFrameStatus status = espy_api_frame_decode_plaintext (dev->rx->data, dev->rx->len,
                                                                   ESPY_API_DEVICE_MAX_PAYLOAD, &frame);
      GBytes *payload;

      if (status == ESPY_API_FRAME_COMPLETE)
        {
          *type = frame.type;
          payload = g_bytes_new (frame.data, frame.len);
          g_byte_array_remove_range (dev->rx, 0, (guint) frame.frame_len);
          return payload;
        }
      g_assert_cmpint (status, ==, ESPY_API_FRAME_INCOMPLETE);
      g_assert_cmpint (dev_recv (dev), >, 0);
    }
}

static GBytes *
dev_read_noise_body (Device *dev)
{
  for (;;)
    {
      EspyApiFrame frame;
      EspyApiFrameStatus status = espy_api_frame_decode_noise (dev->rx->data, dev->rx->len, 65535, &frame);
      GBytes *body;

      if (status == ESPY_API_FRAME_COMPLETE)
        {
          body = g_bytes_new (frame.data, frame.len);
          g_byte_array_remove_range (dev->rx, 0, (guint) frame.frame_len);
          return body;
        }
      g_assert_cmpint (status, ==, ESPY_API_FRAME_INCOMPLETE);
      g_assert_cmpint (dev_recv (dev), >, 0);
    }
}

/* The next message, whatever the transport. */
static GBytes *
dev_read_msg (Device  *dev,
              guint32 *type)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GByteArray) plain = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const guint8 *payload;
  gsize payload_len;

  if (!dev->noise)
    return dev_read_plain (dev, type);
  body = dev_read_noise_body (dev);
  g_assert_true (espy_noise_cipher_decrypt (dev->recv, NULL, 0, g_bytes_get_data (body, NULL),
                                            g_bytes_get_size (body), plain, &error));
  g_assert_no_error (error);
  g_assert_true (espy_api_noise_message_decode (plain->data, plain->len, type, &payload, &payload_len));
  return g_bytes_new (payload, payload_len);
}

static GBytes *
dev_expect_msg (Device  *dev,
                guint32  expected_type)
{
  guint32 type = 0;
  GBytes *payload = dev_read_msg (dev, &type);

  g_assert_cmpuint (type, ==, expected_type);
  return payload;
}

static void
dev_send_msg (Device       *dev,
              guint32       type,
              const guint8 *payload,
              gsize         len)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) plain = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  if (!dev->noise)
    espy_api_frame_encode_plaintext (out, type, payload, len);
  else
    {
      g_assert_true (espy_api_noise_message_encode (plain, type, payload, len));
      g_assert_true (espy_noise_cipher_encrypt (dev->send, NULL, 0, plain->data, plain->len, body, &error));
      g_assert_no_error (error);
      g_assert_true (espy_api_frame_encode_noise (out, body->data, body->len));
    }
  dev_send (dev, out->data, out->len);
}

/* A plaintext vector, sent as is or re-framed for Noise. */
static void
dev_send_vector (Device     *dev,
                 const char *name)
{
  g_autoptr(GBytes) bytes = vector ("plaintext", name);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  EspyApiFrame frame;

  g_assert_cmpint (espy_api_frame_decode_plaintext (data, len, 65535, &frame), ==, ESPY_API_FRAME_COMPLETE);
  dev_send_msg (dev, frame.type, frame.data, frame.len);
}

static void
dev_send_hello_response (Device     *dev,
                         guint       minor,
                         const char *server_info)
{
  EspyApi__HelloResponse hello = ESPY_API__HELLO_RESPONSE__INIT;
  g_autoptr(GBytes) payload = NULL;

  hello.api_version_major = 1;
  hello.api_version_minor = minor;
  hello.server_info = (char *) server_info;
  hello.name = (char *) "mydevice";
  payload = espy_api_message_pack (&hello.base);
  dev_send_msg (dev, ESPY_API_MSG_HELLO_RESPONSE, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
}

/* Reads the client's first write: hello frame + handshake frame. Returns
 * the handshake body (error byte + Noise message). */
static GBytes *
dev_read_client_first_write (Device *dev)
{
  g_autoptr(GBytes) hello = NULL;
  GBytes *handshake;
  const guint8 *data;

  hello = dev_read_noise_body (dev);
  g_assert_cmpuint (g_bytes_get_size (hello), ==, 0);
  /* Both frames arrive in the same write. */
  g_assert_cmpuint (dev->rx->len, ==, 3 + 49);
  handshake = dev_read_noise_body (dev);
  data = g_bytes_get_data (handshake, NULL);
  g_assert_cmpuint (g_bytes_get_size (handshake), ==, 49);
  g_assert_cmpuint (data[0], ==, 0x00);
  return handshake;
}

/* The device side of a good handshake, with DEV->key. */
static void
dev_noise_handshake (Device     *dev,
                     const char *name,
                     const char *mac)
{
  g_autoptr(GBytes) msg = dev_read_client_first_write (dev);
  g_autoptr(GByteArray) prologue = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(EspyNoiseHandshake) hs = NULL;
  g_autoptr(GError) error = NULL;
  guint8 psk[32];
  const guint8 ok = 0x00;

  g_assert_true (espy_api_parse_key (dev->key, psk, &error));
  espy_api_noise_prologue (prologue, NULL, 0);
  hs = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, psk, prologue->data, prologue->len);
  g_assert_true (espy_noise_handshake_read_message (hs, (const guint8 *) g_bytes_get_data (msg, NULL) + 1,
                                                    g_bytes_get_size (msg) - 1, NULL, &error));
  g_assert_no_error (error);

  espy_api_noise_server_hello_encode (body, name, mac);
  g_assert_true (espy_api_frame_encode_noise (out, body->data, body->len));
  g_byte_array_set_size (body, 0);
  g_byte_array_append (body, &ok, 1);
  g_assert_true (espy_noise_handshake_write_message (hs, NULL, 0, body, &error));
  g_assert_no_error (error);
  g_assert_true (espy_api_frame_encode_noise (out, body->data, body->len));
  dev_send (dev, out->data, out->len);
  g_assert_true (espy_noise_handshake_split (hs, &dev->send, &dev->recv, &error));
  dev->noise = TRUE;
}

static void
dev_send_reject (Device     *dev,
                 const char *reason)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();

  espy_api_noise_reject_encode (body, reason);
  g_assert_true (espy_api_frame_encode_noise (out, body->data, body->len));
  dev_send (dev, out->data, out->len);
}

/* Hello and Connect, checked; both must come in one write. */
static void
dev_expect_hello_connect (Device *dev)
{
  g_autoptr(GBytes) hello_payload = NULL;
  g_autoptr(GBytes) connect_payload = NULL;
  g_autoptr(EspyApi__HelloRequest) hello = NULL;
  guint32 type = 0;
  gsize buffered_after_hello;
  EspyApiFrame frame;

  hello_payload = dev_read_msg (dev, &type);
  g_assert_cmpuint (type, ==, ESPY_API_MSG_HELLO_REQUEST);
  buffered_after_hello = dev->rx->len;
  hello = (EspyApi__HelloRequest *) espy_api_message_unpack (type, g_bytes_get_data (hello_payload, NULL),
                                                             g_bytes_get_size (hello_payload));
  g_assert_nonnull (hello);
  g_assert_cmpstr (hello->client_info, ==, "test-client");
  g_assert_cmpuint (hello->api_version_major, ==, 1);
  g_assert_cmpuint (hello->api_version_minor, >=, 10);
  /* ConnectRequest was already received with it. */
  if (dev->noise)
    g_assert_cmpint (espy_api_frame_decode_noise (dev->rx->data, buffered_after_hello, 65535, &frame), ==,
                     ESPY_API_FRAME_COMPLETE);
  else
    g_assert_cmpint (espy_api_frame_decode_plaintext (dev->rx->data, buffered_after_hello, 65535, &frame), ==,
                     ESPY_API_FRAME_COMPLETE);
  connect_payload = dev_expect_msg (dev, ESPY_API_MSG_CONNECT_REQUEST);
}

static gpointer
device_thread (gpointer data)
{
  Device *dev = data;

  dev->script (dev);
  g_clear_object (&dev->sock);
  g_atomic_int_set (&dev->done, 1);
  return NULL;
}

static void
device_start (Device *dev)
{
  dev->thread = g_thread_new ("device", device_thread, dev);
}

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Waits for the script to end while the client keeps running: the device
 * may be waiting for the client to close. */
static void
device_join (Device *dev)
{
  guint wake_id;

  if (dev->thread == NULL)
    return;
  wake_id = g_timeout_add (10, wake_cb, NULL);
  while (!g_atomic_int_get (&dev->done))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (wake_id);
  g_clear_pointer (&dev->thread, g_thread_join);
}

static void
device_free (Device *dev)
{
  device_join (dev);
  g_clear_object (&dev->sock);
  g_clear_object (&dev->listener);
  g_byte_array_unref (dev->rx);
  espy_noise_cipher_free (dev->send);
  espy_noise_cipher_free (dev->recv);
  g_free (dev);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Device, device_free)

/* ---- the client side (main thread) ----------------------------------- */

typedef struct {
  GAsyncResult *result;
  GPtrArray *logs;           /* "level:text" */
  char *disconnect_reason;
  GError *disconnect_error;
  gint64 disconnected_us;
} Ctx;

static void
ctx_clear (Ctx *ctx)
{
  g_clear_object (&ctx->result);
  g_clear_pointer (&ctx->logs, g_ptr_array_unref);
  g_clear_pointer (&ctx->disconnect_reason, g_free);
  g_clear_error (&ctx->disconnect_error);
}

static gboolean
watchdog_cb (gpointer data)
{
  g_error ("test timed out waiting for %s", (const char *) data);
  return G_SOURCE_REMOVE;
}

/* Iterates the main loop until *FLAG (a pointer) is set. */
static void
wait_for (gpointer   *flag,
          const char *what)
{
  guint id = g_timeout_add_seconds (20, watchdog_cb, (gpointer) what);

  while (*flag == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Ctx *ctx = user_data;

  ctx->result = g_object_ref (result);
}

static void
on_log (EspyApiClient *client,
        guint          level,
        const char    *message,
        Ctx           *ctx)
{
  g_ptr_array_add (ctx->logs, g_strdup_printf ("%u:%s", level, message));
}

static void
on_disconnected (EspyApiClient *client,
                 const char    *reason,
                 const GError  *error,
                 Ctx           *ctx)
{
  g_assert_null (ctx->disconnect_reason);
  ctx->disconnect_reason = g_strdup (reason);
  ctx->disconnect_error = error != NULL ? g_error_copy (error) : NULL;
  ctx->disconnected_us = g_get_monotonic_time ();
}

static EspyApiClient *
client_new (Device *dev,
            Ctx    *ctx)
{
  EspyApiClient *client = espy_api_client_new ("127.0.0.1", dev != NULL ? dev->port : 1);

  espy_api_client_set_client_info (client, "test-client");
  ctx->logs = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (client, "log-message", G_CALLBACK (on_log), ctx);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_disconnected), ctx);
  return client;
}

static gboolean
client_connect (EspyApiClient  *client,
                Ctx            *ctx,
                GCancellable   *cancellable,
                GError        **error)
{
  gboolean ok;

  g_clear_object (&ctx->result);
  espy_api_client_connect_async (client, cancellable, store_result, ctx);
  wait_for ((gpointer *) &ctx->result, "connect");
  ok = espy_api_client_connect_finish (client, ctx->result, error);
  g_clear_object (&ctx->result);
  return ok;
}

static EspyApiDeviceInfo *
client_device_info (EspyApiClient  *client,
                    Ctx            *ctx,
                    GError        **error)
{
  EspyApiDeviceInfo *info;

  espy_api_client_device_info_async (client, NULL, store_result, ctx);
  wait_for ((gpointer *) &ctx->result, "device info");
  info = espy_api_client_device_info_finish (client, ctx->result, error);
  g_clear_object (&ctx->result);
  return info;
}

/* Connects and expects a failure of CODE, which must not leak the key. */
static void
expect_connect_error (EspyApiClient *client,
                      Ctx           *ctx,
                      GQuark         domain,
                      int            code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (client_connect (client, ctx, NULL, &error));
  g_assert_error (error, domain, code);
  g_assert_null (strstr (error->message, KEY));
  g_assert_null (strstr (error->message, OTHER_KEY));
  g_test_message ("%s", error->message);
  g_assert_false (espy_api_client_is_connected (client));
  /* A failed connect is no disconnection. */
  g_assert_null (ctx->disconnect_reason);
}

/* ---- plaintext happy path -------------------------------------------- */

static void
script_plaintext (Device *dev)
{
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GBytes) sub_vector = NULL;
  g_autoptr(EspyApi__GetTimeResponse) time_response = NULL;
  const guint8 cut_utf8[] = { 0x08, 0x03, 0x1a, 0x04, 'a', 0xc3, 'b', 0xff };
  const guint8 unknown[] = { 0x08, 0x01, 0x12, 0x01, 'z' };
  const guint8 connect_ok[] = { 0x00, 0x00, 0x04 };
  gint64 now;

  dev_accept (dev);
  dev_expect_hello_connect (dev);
  /* Answer both in one write, as the firmware does. */
  {
    g_autoptr(GBytes) hello = vector ("plaintext", "HelloResponse(type2)");
    g_autoptr(GByteArray) out = g_byte_array_new ();

    g_byte_array_append (out, g_bytes_get_data (hello, NULL), (guint) g_bytes_get_size (hello));
    g_byte_array_append (out, connect_ok, sizeof connect_ok);
    dev_send (dev, out->data, out->len);
  }

  payload = dev_expect_msg (dev, ESPY_API_MSG_DEVICE_INFO_REQUEST);
  g_assert_cmpuint (g_bytes_get_size (payload), ==, 0);
  g_clear_pointer (&payload, g_bytes_unref);
  dev_send_vector (dev, "DeviceInfoResponse(type10)");

  payload = dev_expect_msg (dev, ESPY_API_MSG_SUBSCRIBE_LOGS_REQUEST);
  sub_vector = vector ("plaintext", "SubscribeLogsRequest(type28)");
  /* Same bytes as the vector (level DEBUG, dump_config). */
  g_assert_cmpmem (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload),
                   (const guint8 *) g_bytes_get_data (sub_vector, NULL) + 3, g_bytes_get_size (sub_vector) - 3);
  g_clear_pointer (&payload, g_bytes_unref);

  /* An unknown type first: the client must skip it. */
  dev_send_msg (dev, 300, unknown, sizeof unknown);
  dev_send_vector (dev, "SubscribeLogsResponse(type29)");
  dev_send_msg (dev, ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE, cut_utf8, sizeof cut_utf8);

  /* The device's ping gets an answer at once. */
  dev_send_vector (dev, "PingRequest(type7)");
  payload = dev_expect_msg (dev, ESPY_API_MSG_PING_RESPONSE);
  g_clear_pointer (&payload, g_bytes_unref);
  dev->pings_answered++;

  dev_send_msg (dev, ESPY_API_MSG_GET_TIME_REQUEST, NULL, 0);
  payload = dev_expect_msg (dev, ESPY_API_MSG_GET_TIME_RESPONSE);
  time_response = (EspyApi__GetTimeResponse *) espy_api_message_unpack (ESPY_API_MSG_GET_TIME_RESPONSE,
                                                                        g_bytes_get_data (payload, NULL),
                                                                        g_bytes_get_size (payload));
  g_assert_nonnull (time_response);
  now = g_get_real_time () / G_USEC_PER_SEC;
  g_assert_cmpint ((gint64) time_response->epoch_seconds, >=, now - 60);
  g_assert_cmpint ((gint64) time_response->epoch_seconds, <=, now + 60);
  g_clear_pointer (&payload, g_bytes_unref);

  /* About to reboot. */
  dev_send_msg (dev, ESPY_API_MSG_DISCONNECT_REQUEST, NULL, 0);
  payload = dev_expect_msg (dev, ESPY_API_MSG_DISCONNECT_RESPONSE);
  dev_expect_eof (dev);
}

static void
test_plaintext (void)
{
  g_autoptr(Device) dev = device_new (script_plaintext, NULL);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  guint major = 0, minor = 0;

  /* Not connected yet. */
  g_assert_false (espy_api_client_subscribe_logs (client, ESPY_API_LOG_LEVEL_DEBUG, TRUE, &error));
  g_assert_error (error, ESPY_API_ERROR, ESPY_API_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  device_start (dev);
  g_assert_true (client_connect (client, &ctx, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (espy_api_client_is_connected (client));
  g_assert_false (espy_api_client_get_encrypted (client));
  espy_api_client_get_api_version (client, &major, &minor);
  g_assert_cmpuint (major, ==, 1);
  g_assert_cmpuint (minor, ==, 10);
  g_assert_cmpstr (espy_api_client_get_server_info (client), ==, "2025.5.0");
  g_assert_cmpstr (espy_api_client_get_name (client), ==, "mydevice");
  g_assert_null (espy_api_client_get_noise_mac (client));

  info = client_device_info (client, &ctx, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->name, ==, "mydevice");
  g_assert_cmpstr (info->mac_address, ==, "AA:BB:CC:DD:EE:FF");
  g_assert_cmpstr (info->esphome_version, ==, "2025.5.0");
  g_assert_cmpstr (info->model, ==, "esp32dev");
  g_assert_cmpstr (info->friendly_name, ==, "My Device");
  g_assert_true (info->api_encryption_supported);

  g_assert_true (espy_api_client_subscribe_logs (client, ESPY_API_LOG_LEVEL_DEBUG, TRUE, &error));
  g_assert_no_error (error);

  wait_for ((gpointer *) &ctx.disconnect_reason, "disconnected");
  g_assert_cmpstr (ctx.disconnect_reason, ==, "rebooting");
  g_assert_no_error (ctx.disconnect_error);
  g_assert_false (espy_api_client_is_connected (client));

  g_assert_cmpuint (ctx.logs->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (ctx.logs, 0), ==, "5:\033[0;36m[D][test:042]: hello world\033[0m");
  /* Invalid UTF-8 became U+FFFD instead of failing. */
  g_assert_cmpstr (g_ptr_array_index (ctx.logs, 1), ==, "3:a\xef\xbf\xbd" "b\xef\xbf\xbd");

  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

/* ---- Noise happy path ------------------------------------------------ */

static void
script_noise (Device *dev)
{
  g_autoptr(GBytes) payload = NULL;

  dev_accept (dev);
  dev_noise_handshake (dev, "mydevice", "aabbccddeeff");
  dev_expect_hello_connect (dev);
  /* 2026.1: API 1.14, no ConnectResponse. */
  dev_send_hello_response (dev, 14, "2026.1.0");

  payload = dev_expect_msg (dev, ESPY_API_MSG_DEVICE_INFO_REQUEST);
  g_clear_pointer (&payload, g_bytes_unref);
  dev_send_vector (dev, "DeviceInfoResponse(type10)");

  payload = dev_expect_msg (dev, ESPY_API_MSG_SUBSCRIBE_LOGS_REQUEST);
  g_clear_pointer (&payload, g_bytes_unref);
  dev_send_vector (dev, "PingRequest(type7)");
  payload = dev_expect_msg (dev, ESPY_API_MSG_PING_RESPONSE);
  g_clear_pointer (&payload, g_bytes_unref);
  dev->pings_answered++;
  dev_send_vector (dev, "SubscribeLogsResponse(type29)");

  /* The client says goodbye. */
  payload = dev_expect_msg (dev, ESPY_API_MSG_DISCONNECT_REQUEST);
  dev_send_msg (dev, ESPY_API_MSG_DISCONNECT_RESPONSE, NULL, 0);
  dev_expect_eof (dev);
}

static void
test_noise (void)
{
  g_autoptr(Device) dev = device_new (script_noise, KEY);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  guint major = 0, minor = 0;

  /* Surrounding blanks from YAML are fine. */
  g_assert_true (espy_api_client_set_encryption_key (client, " " KEY "\n", &error));
  g_assert_no_error (error);
  device_start (dev);
  g_assert_true (client_connect (client, &ctx, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (espy_api_client_get_encrypted (client));
  g_assert_cmpstr (espy_api_client_get_noise_name (client), ==, "mydevice");
  g_assert_cmpstr (espy_api_client_get_noise_mac (client), ==, "aabbccddeeff");
  espy_api_client_get_api_version (client, &major, &minor);
  g_assert_cmpuint (minor, ==, 14);
  g_assert_cmpstr (espy_api_client_get_server_info (client), ==, "2026.1.0");

  info = client_device_info (client, &ctx, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->compilation_time, ==, "May 20 2025, 10:00:00");

  g_assert_true (espy_api_client_subscribe_logs (client, ESPY_API_LOG_LEVEL_VERBOSE, FALSE, &error));
  while (ctx.logs->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (g_ptr_array_index (ctx.logs, 0), ==, "5:\033[0;36m[D][test:042]: hello world\033[0m");

  espy_api_client_disconnect_async (client, NULL, store_result, &ctx);
  wait_for ((gpointer *) &ctx.result, "disconnect");
  g_assert_true (espy_api_client_disconnect_finish (client, ctx.result, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (ctx.disconnect_reason, ==, "requested");
  g_assert_no_error (ctx.disconnect_error);
  g_assert_false (espy_api_client_is_connected (client));

  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

/* ---- failures -------------------------------------------------------- */

static void
script_wrong_key (Device *dev)
{
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GBytes) reject = vector ("noise", "wrong_key_reject_frame");
  g_autoptr(GByteArray) prologue = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(EspyNoiseHandshake) hs = NULL;
  g_autoptr(GError) error = NULL;
  guint8 psk[32];

  dev_accept (dev);
  msg = dev_read_client_first_write (dev);
  /* The device really cannot read the message with its own key. */
  g_assert_true (espy_api_parse_key (dev->key, psk, NULL));
  espy_api_noise_prologue (prologue, NULL, 0);
  hs = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, psk, prologue->data, prologue->len);
  g_assert_false (espy_noise_handshake_read_message (hs, (const guint8 *) g_bytes_get_data (msg, NULL) + 1,
                                                     g_bytes_get_size (msg) - 1, NULL, &error));
  g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_DECRYPT);
  espy_api_noise_server_hello_encode (body, "mydevice", "aabbccddeeff");
  g_assert_true (espy_api_frame_encode_noise (out, body->data, body->len));
  dev_send (dev, out->data, out->len);
  dev_send_bytes (dev, reject);
  dev_close (dev);
}

static void
test_wrong_key (void)
{
  g_autoptr(Device) dev = device_new (script_wrong_key, OTHER_KEY);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);

  g_assert_true (espy_api_client_set_encryption_key (client, KEY, NULL));
  device_start (dev);
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_WRONG_KEY);
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static void
script_key_required (Device *dev)
{
  g_autoptr(GBytes) reject = vector ("noise", "plaintext_client_to_noise_device_reject");
  guint8 first = 0;

  dev_accept (dev);
  /* The firmware reads one byte, sees 0x00 where 0x01 belongs. */
  g_assert_cmpint (dev_recv (dev), >, 0);
  first = dev->rx->data[0];
  g_assert_cmpuint (first, ==, 0x00);
  dev_send_bytes (dev, reject);
  dev_close (dev);
}

static void
test_key_required (void)
{
  g_autoptr(Device) dev = device_new (script_key_required, KEY);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);

  device_start (dev);
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_KEY_REQUIRED);
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static void
script_not_encrypted (Device *dev)
{
  g_autoptr(GBytes) reply = vector ("noise", "noise_client_to_plaintext_device_reply");

  /* 2025+ firmware: a raw 00 + "Bad indicator byte". */
  dev_accept (dev);
  g_assert_cmpint (dev_recv (dev), >, 0);
  g_assert_cmpuint (dev->rx->data[0], ==, 0x01);
  dev_send_bytes (dev, reply);
  dev_close (dev);

  /* 2024 firmware: just closes. */
  dev_accept (dev);
  g_assert_cmpint (dev_recv (dev), >, 0);
  dev_close (dev);
}

static void
test_not_encrypted (void)
{
  g_autoptr(Device) dev = device_new (script_not_encrypted, NULL);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);

  g_assert_true (espy_api_client_set_encryption_key (client, KEY, NULL));
  device_start (dev);
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_DEVICE_NOT_ENCRYPTED);
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_DEVICE_NOT_ENCRYPTED);
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static void
test_invalid_key (void)
{
  const char *bad[] = {
    "",
    "abc",
    /* 31 bytes */
    "QRTIErOb/fcE9Ukd/5qA3RGYMn0Y+p06U58SCtOXvA==",
    /* 33 bytes */
    "QRTIErOb/fcE9Ukd/5qA3RGYMn0Y+p06U58SCtOXvPcA",
    /* right length, a character outside base64 */
    "QRTIErOb/fcE9Ukd/5qA3RGYMn0Y+p06U58SCtOX*Pc=",
    /* hex instead of base64 */
    "4114c812b39bfdf704f5491dff9a80dd1198327d18fa9d3a539f120ad397bcf7",
    /* inner blank */
    "QRTIErOb/fcE9Ukd/5qA3RGY Mn0Y+p06U58SCtOXvPc=",
  };
  g_autoptr(Device) dev = device_new (NULL, NULL);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) accepted = NULL;
  guint8 key[32];

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (espy_api_parse_key (bad[i], key, &error));
      g_assert_error (error, ESPY_API_ERROR, ESPY_API_ERROR_INVALID_KEY);
      if (*bad[i] != '\0')
        g_assert_null (strstr (error->message, bad[i]));
      g_clear_error (&error);
      g_assert_false (espy_api_client_set_encryption_key (client, bad[i], &error));
      g_assert_error (error, ESPY_API_ERROR, ESPY_API_ERROR_INVALID_KEY);
      g_clear_error (&error);
      /* Refused before connecting. */
      expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_INVALID_KEY);
    }
  g_assert_true (espy_api_parse_key (KEY, key, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (key[0], ==, 0x41);
  g_assert_cmpuint (key[31], ==, 0xf7);

  /* No connection was ever attempted. */
  for (guint i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  g_socket_set_blocking (dev->listener, FALSE);
  accepted = g_socket_accept (dev->listener, NULL, &error);
  g_assert_null (accepted);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  /* Clearing the key clears the failure. */
  g_assert_true (espy_api_client_set_encryption_key (client, NULL, &error));
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static void
script_wrong_password (Device *dev)
{
  const guint8 invalid_password[] = { 0x00, 0x02, 0x04, 0x08, 0x01 };

  dev_accept (dev);
  dev_expect_hello_connect (dev);
  dev_send_vector (dev, "HelloResponse(type2)");
  dev_send (dev, invalid_password, sizeof invalid_password);
  dev_expect_eof (dev);
}

static void
test_wrong_password (void)
{
  g_autoptr(Device) dev = device_new (script_wrong_password, NULL);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);

  espy_api_client_set_password (client, "not-the-password");
  device_start (dev);
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_WRONG_PASSWORD);
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static void
script_handshake_rejected (Device *dev)
{
  const char *reasons[] = { "Handshake error", "Bad handshake packet len" };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      g_autoptr(GBytes) msg = NULL;
      g_autoptr(GByteArray) body = g_byte_array_new ();
      g_autoptr(GByteArray) out = g_byte_array_new ();

      dev_accept (dev);
      msg = dev_read_client_first_write (dev);
      espy_api_noise_server_hello_encode (body, "mydevice", NULL);
      g_assert_true (espy_api_frame_encode_noise (out, body->data, body->len));
      dev_send (dev, out->data, out->len);
      dev_send_reject (dev, reasons[i]);
      dev_close (dev);
    }
}

static void
test_handshake_rejected (void)
{
  g_autoptr(Device) dev = device_new (script_handshake_rejected, KEY);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);

  g_assert_true (espy_api_client_set_encryption_key (client, KEY, NULL));
  device_start (dev);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (client_connect (client, &ctx, NULL, &error));
      g_assert_error (error, ESPY_API_ERROR, ESPY_API_ERROR_HANDSHAKE_REJECTED);
      /* The reason is shown to the user. */
      g_assert_nonnull (strstr (error->message, i == 0 ? "Handshake error" : "Bad handshake packet len"));
    }
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static void
script_closed (Device *dev)
{
  dev_accept (dev);
  dev_expect_hello_connect (dev);
  dev_close (dev);
}

static void
test_closed (void)
{
  g_autoptr(Device) dev = device_new (script_closed, NULL);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);

  device_start (dev);
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_CLOSED);
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static void
script_silent (Device *dev)
{
  dev_accept (dev);
  dev_expect_hello_connect (dev);
  /* Say nothing; the client gives up and closes. */
  dev_expect_eof (dev);
}

static void
test_timeout (void)
{
  g_autoptr(Device) dev = device_new (script_silent, NULL);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);
  gint64 start = g_get_monotonic_time ();

  espy_api_client_set_timeouts (client, 300, 0, 0, 0);
  device_start (dev);
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 300 * 1000);
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (void)
{
  g_autoptr(Device) dev = device_new (script_silent, NULL);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  device_start (dev);
  g_timeout_add (100, cancel_cb, cancellable);
  g_assert_false (client_connect (client, &ctx, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static void
test_connect_failed (void)
{
  g_autoptr(Device) dev = device_new (NULL, NULL);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = NULL;

  /* A port nobody listens on any more. */
  g_socket_close (dev->listener, NULL);
  client = client_new (dev, &ctx);
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_CONNECT_FAILED);
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static void
script_too_large (Device *dev)
{
  /* Announces 65536 bytes. */
  const guint8 header[] = { 0x00, 0x80, 0x80, 0x04, 0x02 };

  dev_accept (dev);
  dev_expect_hello_connect (dev);
  dev_send (dev, header, sizeof header);
  dev_expect_eof (dev);
}

static void
test_frame_too_large (void)
{
  g_autoptr(Device) dev = device_new (script_too_large, NULL);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);

  device_start (dev);
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_FRAME_TOO_LARGE);
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

static void
script_protocol (Device *dev)
{
  /* HelloResponse whose server_info claims 5 bytes and has 1. */
  const guint8 truncated[] = { 0x1a, 0x05, 'x' };
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 garbage[40];

  dev_accept (dev);
  dev_expect_hello_connect (dev);
  dev_send_msg (dev, ESPY_API_MSG_HELLO_RESPONSE, truncated, sizeof truncated);
  dev_expect_eof (dev);

  /* Encrypted: a frame that does not decrypt. */
  dev_accept (dev);
  dev_noise_handshake (dev, "mydevice", NULL);
  dev_expect_hello_connect (dev);
  memset (garbage, 0x5A, sizeof garbage);
  g_assert_true (espy_api_frame_encode_noise (out, garbage, sizeof garbage));
  dev_send (dev, out->data, out->len);
  dev_expect_eof (dev);
}

static void
test_protocol (void)
{
  g_autoptr(Device) dev = device_new (script_protocol, KEY);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);

  device_start (dev);
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_PROTOCOL);
  g_assert_true (espy_api_client_set_encryption_key (client, KEY, NULL));
  expect_connect_error (client, &ctx, ESPY_API_ERROR, ESPY_API_ERROR_PROTOCOL);
  g_assert_null (espy_api_client_get_noise_mac (client));
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

/* ---- keep-alive ------------------------------------------------------ */

#define PING_INTERVAL_MS 100
#define KEEPALIVE_TIMEOUT_MS 600

static void
script_keepalive (Device *dev)
{
  g_autoptr(GBytes) payload = NULL;
  gint64 connected;

  dev_accept (dev);
  dev_expect_hello_connect (dev);
  dev_send_vector (dev, "HelloResponse(type2)");
  dev_send (dev, (const guint8 *) "\x00\x00\x04", 3);
  connected = g_get_monotonic_time ();

  /* The client pings the idle line; answering keeps it alive. */
  while (dev->pings_answered < 3)
    {
      payload = dev_expect_msg (dev, ESPY_API_MSG_PING_REQUEST);
      g_clear_pointer (&payload, g_bytes_unref);
      if (dev->first_ping_us == 0)
        dev->first_ping_us = g_get_monotonic_time () - connected;
      dev_send_vector (dev, "PingResponse(type8)");
      dev->last_answer_us = g_get_monotonic_time ();
      dev->pings_answered++;
    }
  /* Then silence: more pings come, unanswered, until the client gives up. */
  for (;;)
    {
      EspyApiFrame frame;

      if (espy_api_frame_decode_plaintext (dev->rx->data, dev->rx->len, 65535, &frame) == ESPY_API_FRAME_COMPLETE)
        {
          g_assert_cmpuint (frame.type, ==, ESPY_API_MSG_PING_REQUEST);
          dev->pings_seen++;
          g_byte_array_remove_range (dev->rx, 0, (guint) frame.frame_len);
          continue;
        }
      if (dev_recv (dev) == 0)
        break;
    }
}

static void
test_keepalive (void)
{
  g_autoptr(Device) dev = device_new (script_keepalive, NULL);
  Ctx ctx = { 0 };
  g_autoptr(EspyApiClient) client = client_new (dev, &ctx);
  g_autoptr(GError) error = NULL;

  espy_api_client_set_timeouts (client, 5000, PING_INTERVAL_MS, KEEPALIVE_TIMEOUT_MS, 0);
  device_start (dev);
  g_assert_true (client_connect (client, &ctx, NULL, &error));
  g_assert_no_error (error);
  wait_for ((gpointer *) &ctx.disconnect_reason, "keep-alive timeout");
  g_assert_cmpstr (ctx.disconnect_reason, ==, "timeout");
  g_assert_error (ctx.disconnect_error, ESPY_API_ERROR, ESPY_API_ERROR_TIMEOUT);
  device_join (dev);

  g_assert_cmpuint (dev->pings_answered, ==, 3);
  /* Not before the line was idle for an interval. */
  g_assert_cmpint (dev->first_ping_us, >=, (PING_INTERVAL_MS - 20) * 1000);
  /* It kept pinging while it waited, and waited the whole timeout. */
  g_assert_cmpuint (dev->pings_seen, >=, 2);
  g_assert_cmpint (ctx.disconnected_us - dev->last_answer_us, >=, KEEPALIVE_TIMEOUT_MS * 1000);
  g_assert_cmpint (ctx.disconnected_us - dev->last_answer_us, <, 5 * KEEPALIVE_TIMEOUT_MS * 1000);
  g_clear_pointer (&dev, device_free);
  ctx_clear (&ctx);
}

int
main (int   argc,
      char *argv[])
{
  const char *dir;
  g_autofree char *path = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  dir = g_getenv ("ESPY_VECTORS_DIR");
  path = dir != NULL ? g_build_filename (dir, "esphome-api-frames.json", NULL)
                     : g_test_build_filename (G_TEST_DIST, "vectors", "esphome-api-frames.json", NULL);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  vectors = json_node_copy (json_parser_get_root (parser));

  g_test_add_func ("/api-client/plaintext", test_plaintext);
  g_test_add_func ("/api-client/noise", test_noise);
  g_test_add_func ("/api-client/wrong-key", test_wrong_key);
  g_test_add_func ("/api-client/key-required", test_key_required);
  g_test_add_func ("/api-client/device-not-encrypted", test_not_encrypted);
  g_test_add_func ("/api-client/invalid-key", test_invalid_key);
  g_test_add_func ("/api-client/wrong-password", test_wrong_password);
  g_test_add_func ("/api-client/handshake-rejected", test_handshake_rejected);
  g_test_add_func ("/api-client/closed", test_closed);
  g_test_add_func ("/api-client/timeout", test_timeout);
  g_test_add_func ("/api-client/cancel", test_cancel);
  g_test_add_func ("/api-client/connect-failed", test_connect_failed);
  g_test_add_func ("/api-client/frame-too-large", test_frame_too_large);
  g_test_add_func ("/api-client/protocol", test_protocol);
  g_test_add_func ("/api-client/keepalive", test_keepalive);

  ret = g_test_run ();
  json_node_unref (vectors);
  return ret;
}
