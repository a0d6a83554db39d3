/* test-sim-api.c: the simulator's native API (EspySimDevice with an API
 * port) against a raw client written here from docs/esphome-wire.md
 * sections 5 and 6: plain blocking GSockets, with the core's frame codec
 * and Noise initiator (both checked byte for byte by test-api-frames and
 * test-noise). One test drives the core's EspyApiClient end to end.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <gio/gio.h>

#include "espy-api-client.h"
#include "espy-event-stream.h"
#include "espy-web-ota-client.h"
#include "espy-api-frame.h"
#include "espy-api-messages.h"
#include "espy-firmware-image.h"
#include "espy-noise.h"
#include "espy-ota-client.h"
#include "espy-sim-device.h"

#define KEY       "QRTIErOb/fcE9Ukd/5qA3RGYMn0Y+p06U58SCtOXvPc="
#define OTHER_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

/* ---- the raw client ---------------------------------------------------- */

typedef struct {
  GSocket *sock;
  GByteArray *rx;
  gboolean noise;
  EspyNoiseCipher *send;
  EspyNoiseCipher *recv;
  char *noise_name;
  char *noise_mac;
  guint get_time_requests;
} Raw;

static void
raw_free (Raw *raw)
{
  g_clear_object (&raw->sock);
  g_byte_array_unref (raw->rx);
  g_clear_pointer (&raw->send, espy_noise_cipher_free);
  g_clear_pointer (&raw->recv, espy_noise_cipher_free);
  g_free (raw->noise_name);
  g_free (raw->noise_mac);
  g_free (raw);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_free)

/* NULL when the connection is refused. */
static Raw *
raw_try_connect (guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, port);
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                          &error);
  Raw *raw;

  g_assert_no_error (error);
  if (!g_socket_connect (sock, addr, NULL, &error))
    return NULL;
  /* Nothing here should wait that long: fail rather than hang. */
  g_socket_set_timeout (sock, 10);
  raw = g_new0 (Raw, 1);
  raw->sock = g_steal_pointer (&sock);
  raw->rx = g_byte_array_new ();
  return raw;
}

static Raw *
raw_connect (guint16 port)
{
  Raw *raw = raw_try_connect (port);

  g_assert_nonnull (raw);
  return raw;
}

static void
raw_send (Raw          *raw,
          const guint8 *data,
          gsize         len)
{
  g_autoptr(GError) error = NULL;
  gsize sent = 0;

  while (sent < len)
    {
      gssize n = g_socket_send (raw->sock, (const char *) data + sent, len - sent, NULL, &error);

      g_assert_no_error (error);
      sent += (gsize) n;
    }
}

/* One receive into rx: the byte count, 0 at EOF or reset. */
static gssize
raw_recv (Raw *raw)
{
  guint8 buf[65536];
  g_autoptr(GError) error = NULL;
  gssize n = g_socket_receive (raw->sock, (char *) buf, sizeof buf, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return 0;
  g_assert_no_error (error);
  g_byte_array_append (raw->rx, buf, (guint) n);
  return n;
}

/* The device closes: nothing more than what rx holds arrives. */
static void
raw_expect_eof (Raw *raw)
{
  guint before = raw->rx->len;

  g_assert_cmpint (raw_recv (raw), ==, 0);
  g_assert_cmpuint (raw->rx->len, ==, before);
}

/* Whether anything arrives within MS (the socket stays usable). */
static gboolean
raw_readable_within (Raw  *raw,
                     guint ms)
{
  return raw->rx->len > 0 ||
         g_socket_condition_timed_wait (raw->sock, G_IO_IN, (gint64) ms * 1000, NULL, NULL);
}

static GBytes *
raw_read_noise_body (Raw *raw)
{
  for (;;)
    {
      EspyApiFrame frame;
      EspyApiFrameStatus status = espy_api_frame_decode_noise (raw->rx->data, raw->rx->len, 65535, &frame);
      GBytes *body;

      if (status == ESPY_API_FRAME_COMPLETE)
        {
          body = g_bytes_new (frame.data, frame.len);
          g_byte_array_remove_range (raw->rx, 0, (guint) frame.frame_len);
          return body;
        }
      g_assert_cmpint (status, ==, ESPY_API_FRAME_INCOMPLETE);
      g_assert_cmpint (raw_recv (raw), >, 0);
    }
}

/* The next message, whatever the transport; GetTimeRequest is counted and
 * skipped. */
static GBytes *
raw_read_msg (Raw     *raw,
              guint32 *type)
{
  for (;;)
    {
      GBytes *payload = NULL;

      if (!raw->noise)
        {
          EspyApiFrame frame;
          EspyApiFrameStatus status = espy_api_frame_decode_plaintext (raw->rx->data, raw->rx->len, 65535,
                                                                       &frame);

          if (status == ESPY_API_FRAME_INCOMPLETE)
            {
              g_assert_cmpint (raw_recv (raw), >, 0);
              continue;
            }
          g_assert_cmpint (status, ==, ESPY_API_FRAME_COMPLETE);
          *type = frame.type;
          payload = g_bytes_new (frame.data, frame.len);
          g_byte_array_remove_range (raw->rx, 0, (guint) frame.frame_len);
        }
      else
        {
          g_autoptr(GBytes) body = raw_read_noise_body (raw);
          g_autoptr(GByteArray) plain = g_byte_array_new ();
          g_autoptr(GError) error = NULL;
          const guint8 *data;
          gsize len;

          g_assert_true (espy_noise_cipher_decrypt (raw->recv, NULL, 0, g_bytes_get_data (body, NULL),
                                                    g_bytes_get_size (body), plain, &error));
          g_assert_no_error (error);
          g_assert_true (espy_api_noise_message_decode (plain->data, plain->len, type, &data, &len));
          payload = g_bytes_new (data, len);
        }
      if (*type != ESPY_API_MSG_GET_TIME_REQUEST)
        return payload;
      raw->get_time_requests++;
      g_bytes_unref (payload);
    }
}

static ProtobufCMessage *
raw_expect (Raw     *raw,
            guint32  expected)
{
  guint32 type = 0;
  g_autoptr(GBytes) payload = raw_read_msg (raw, &type);
  ProtobufCMessage *message;

  g_assert_cmpuint (type, ==, expected);
  message = espy_api_message_unpack (type, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  g_assert_nonnull (message);
  return message;
}

static void
raw_send_msg (Raw                    *raw,
              const ProtobufCMessage *message)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();

  if (!raw->noise)
    espy_api_message_append_plaintext (out, message);
  else
    {
      g_autoptr(GByteArray) plain = g_byte_array_new ();
      g_autoptr(GByteArray) body = g_byte_array_new ();
      g_autoptr(GError) error = NULL;

      g_assert_true (espy_api_message_append_noise (plain, message));
      g_assert_true (espy_noise_cipher_encrypt (raw->send, NULL, 0, plain->data, plain->len, body, &error));
      g_assert_no_error (error);
      g_assert_true (espy_api_frame_encode_noise (out, body->data, body->len));
    }
  raw_send (raw, out->data, out->len);
}

/* The initiator's first write; returns the reject reason when the device
 * rejected the handshake, NULL when it succeeded. */
static char *
raw_noise_handshake (Raw        *raw,
                     const char *key)
{
  g_autoptr(GByteArray) prologue = g_byte_array_new ();
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GBytes) hello = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(EspyNoiseHandshake) hs = NULL;
  g_autoptr(GError) error = NULL;
  guint8 psk[32];
  const guint8 ok = 0x00;
  const guint8 *data;
  gsize len;
  char *reason;

  g_assert_true (espy_api_parse_key (key, psk, &error));
  espy_api_noise_prologue (prologue, NULL, 0);
  hs = espy_noise_handshake_new (ESPY_NOISE_ROLE_INITIATOR, psk, prologue->data, prologue->len);
  g_byte_array_append (msg, &ok, 1);
  g_assert_true (espy_noise_handshake_write_message (hs, NULL, 0, msg, &error));
  /* Empty client hello + handshake frame, in one write. */
  espy_api_frame_encode_noise (out, NULL, 0);
  espy_api_frame_encode_noise (out, msg->data, msg->len);
  raw_send (raw, out->data, out->len);

  hello = raw_read_noise_body (raw);
  data = g_bytes_get_data (hello, &len);
  g_assert_true (espy_api_noise_server_hello_parse (data, len, &raw->noise_name, &raw->noise_mac));

  answer = raw_read_noise_body (raw);
  data = g_bytes_get_data (answer, &len);
  reason = espy_api_noise_reject_reason (data, len);
  if (reason != NULL)
    return reason;
  g_assert_true (espy_noise_handshake_read_message (hs, data + 1, len - 1, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (espy_noise_handshake_split (hs, &raw->send, &raw->recv, &error));
  raw->noise = TRUE;
  return NULL;
}

static EspyApi__HelloResponse *
raw_hello (Raw *raw)
{
  EspyApi__HelloRequest hello = ESPY_API__HELLO_REQUEST__INIT;

  hello.client_info = (char *) "test-sim-api";
  hello.api_version_major = 1;
  hello.api_version_minor = 10;
  raw_send_msg (raw, &hello.base);
  return (EspyApi__HelloResponse *) raw_expect (raw, ESPY_API_MSG_HELLO_RESPONSE);
}

static EspyApi__ConnectResponse *
raw_connect_request (Raw        *raw,
                     const char *password)
{
  EspyApi__ConnectRequest connect = ESPY_API__CONNECT_REQUEST__INIT;

  connect.password = (char *) (password != NULL ? password : "");
  raw_send_msg (raw, &connect.base);
  return (EspyApi__ConnectResponse *) raw_expect (raw, ESPY_API_MSG_CONNECT_RESPONSE);
}

static EspyApiDeviceInfo *
raw_device_info (Raw *raw)
{
  EspyApi__DeviceInfoRequest request = ESPY_API__DEVICE_INFO_REQUEST__INIT;

  raw_send_msg (raw, &request.base);
  return (EspyApiDeviceInfo *) raw_expect (raw, ESPY_API_MSG_DEVICE_INFO_RESPONSE);
}

static void
raw_subscribe (Raw             *raw,
               EspyApiLogLevel  level,
               gboolean         dump_config)
{
  EspyApi__SubscribeLogsRequest request = ESPY_API__SUBSCRIBE_LOGS_REQUEST__INIT;

  request.level = (EspyApi__LogLevel) level;
  request.dump_config = dump_config;
  raw_send_msg (raw, &request.base);
}

static void
raw_ping (Raw *raw)
{
  EspyApi__PingRequest ping = ESPY_API__PING_REQUEST__INIT;
  g_autoptr(ProtobufCMessage) pong = NULL;

  raw_send_msg (raw, &ping.base);
  pong = raw_expect (raw, ESPY_API_MSG_PING_RESPONSE);
}

/* ---- helpers ----------------------------------------------------------- */

static EspySimDevice *
device_new (const char        *name,
            EspySimGeneration  generation,
            const char        *key)
{
  EspySimDevice *device = espy_sim_device_new (name);
  g_autoptr(GError) error = NULL;

  espy_sim_device_set_ota_port (device, 0);
  espy_sim_device_set_api_port (device, 0);
  espy_sim_device_set_generation (device, generation);
  g_assert_true (espy_sim_device_set_api_key (device, key, &error));
  g_assert_no_error (error);
  return device;
}

static void
device_start (EspySimDevice *device)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (espy_sim_device_start (device, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (espy_sim_device_get_api_port (device), !=, 0);
}

static const char *
generation_version (EspySimGeneration generation)
{
  switch (generation)
    {
    case ESPY_SIM_GENERATION_2024_2:
      return "2024.2.2";
    case ESPY_SIM_GENERATION_2025_10:
      return "2025.10.3";
    case ESPY_SIM_GENERATION_2026_1:
    default:
      return "2026.1.0";
    }
}

static void
wait_for_state (EspySimDevice *device,
                EspySimState   state)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (espy_sim_device_get_state (device) != state)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* ---- log line format (wire doc section 6) ------------------------------ */

static GRegex *line_regex;

/* Checks LINE against the format; returns its letters (E ... VV). */
static char *
check_log_line (const char *line,
                guint       level)
{
  static const char * const letters[] = { NULL, "E", "W", "I", "C", "D", "V", "VV" };
  static const char * const colours[] = { NULL, "1;31", "0;33", "0;32", "0;35", "0;36", "0;37", "0;38" };
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *colour = NULL;
  g_autofree char *letter = NULL;
  g_autofree char *task_colour = NULL;

  if (!g_regex_match (line_regex, line, 0, &match))
    g_error ("not a log line: %s", g_strescape (line, NULL));
  colour = g_match_info_fetch (match, 1);
  letter = g_match_info_fetch (match, 2);
  task_colour = g_match_info_fetch (match, 5);
  g_assert_cmpuint (level, >=, 1);
  g_assert_cmpuint (level, <=, 7);
  g_assert_cmpstr (letter, ==, letters[level]);
  g_assert_cmpstr (colour, ==, colours[level]);
  /* After a task name the line goes back to its own colour. */
  if (task_colour != NULL && *task_colour != '\0')
    g_assert_cmpstr (task_colour, ==, colour);
  return g_steal_pointer (&letter);
}

/* ---- tests ------------------------------------------------------------- */

typedef struct {
  const char *name;
  EspySimGeneration generation;
  guint minor;
} GenCase;

static const GenCase gen_cases[] = {
  { "2024.2", ESPY_SIM_GENERATION_2024_2, 10 },
  { "2025.10", ESPY_SIM_GENERATION_2025_10, 13 },
  { "2026.1", ESPY_SIM_GENERATION_2026_1, 14 },
};

static void
check_device_info (EspyApiDeviceInfo *info,
                   const GenCase     *gc,
                   const char        *name)
{
  g_assert_cmpstr (info->name, ==, name);
  g_assert_cmpstr (info->mac_address, ==, "AC:BC:32:89:0E:A9");
  g_assert_cmpstr (info->esphome_version, ==, generation_version (gc->generation));
  g_assert_cmpstr (info->compilation_time, ==, "May 20 2025, 10:00:00");
  g_assert_cmpstr (info->model, ==, "esp32dev");
  g_assert_cmpstr (info->manufacturer, ==, "Espressif");
  g_assert_cmpstr (info->friendly_name, ==, "Kitchen Sensor");
  g_assert_cmpstr (info->project_name, ==, "acme.sensor");
  g_assert_cmpstr (info->project_version, ==, "1.2.3");
  g_assert_false (info->uses_password);
  g_assert_cmpuint (info->api_encryption_supported, ==, gc->generation != ESPY_SIM_GENERATION_2024_2);
}

static EspySimDevice *
configured_device (const GenCase *gc,
                   const char    *name,
                   const char    *key)
{
  EspySimDevice *device = device_new (name, gc->generation, key);
  g_autoptr(GError) error = NULL;

  espy_sim_device_set_version (device, generation_version (gc->generation));
  espy_sim_device_set_compilation_time (device, "May 20 2025, 10:00:00");
  espy_sim_device_set_friendly_name (device, "Kitchen Sensor");
  espy_sim_device_set_project (device, "acme.sensor", "1.2.3");
  g_assert_true (espy_sim_device_set_mac (device, "ac:bc:32:89:0e:a9", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (espy_sim_device_get_mac (device), ==, "acbc32890ea9");
  return device;
}

static void
test_plaintext (gconstpointer data)
{
  const GenCase *gc = data;
  g_autoptr(EspySimDevice) device = configured_device (gc, "kitchen", NULL);
  g_autoptr(Raw) raw = NULL;
  g_autoptr(EspyApi__HelloResponse) hello = NULL;
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  g_autofree char *server_info = NULL;

  device_start (device);
  raw = raw_connect (espy_sim_device_get_api_port (device));
  hello = raw_hello (raw);
  g_assert_cmpuint (hello->api_version_major, ==, 1);
  g_assert_cmpuint (hello->api_version_minor, ==, gc->minor);
  g_assert_cmpstr (hello->name, ==, "kitchen");
  if (gc->generation == ESPY_SIM_GENERATION_2024_2)
    server_info = g_strdup_printf ("kitchen (esphome v%s)", generation_version (gc->generation));
  else
    server_info = g_strdup (generation_version (gc->generation));
  g_assert_cmpstr (hello->server_info, ==, server_info);

  if (gc->generation != ESPY_SIM_GENERATION_2026_1)
    {
      g_autoptr(EspyApi__ConnectResponse) connect = raw_connect_request (raw, NULL);

      g_assert_false (connect->invalid_password);
    }
  else
    {
      EspyApi__ConnectRequest connect = ESPY_API__CONNECT_REQUEST__INIT;

      /* 2026.1 ignores type 3: the next answer is the DeviceInfo one. */
      connect.password = (char *) "";
      raw_send_msg (raw, &connect.base);
    }
  info = raw_device_info (raw);
  check_device_info (info, gc, "kitchen");
  raw_ping (raw);
  /* Asked once, right after the connection was set up. */
  g_assert_cmpuint (raw->get_time_requests, ==, 1);
  espy_sim_device_stop (device);
  raw_expect_eof (raw);
}

static void
test_noise (gconstpointer data)
{
  const GenCase *gc = data;
  g_autoptr(EspySimDevice) device = configured_device (gc, "secure", KEY);
  g_autoptr(Raw) raw = NULL;
  g_autoptr(EspyApi__HelloResponse) hello = NULL;
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  g_autofree char *reason = NULL;

  device_start (device);
  g_assert_true (espy_sim_device_get_api_encrypted (device));
  raw = raw_connect (espy_sim_device_get_api_port (device));
  reason = raw_noise_handshake (raw, KEY);
  g_assert_null (reason);
  g_assert_cmpstr (raw->noise_name, ==, "secure");
  /* The MAC joined the server hello in 2025.4. */
  if (gc->generation == ESPY_SIM_GENERATION_2024_2)
    g_assert_null (raw->noise_mac);
  else
    g_assert_cmpstr (raw->noise_mac, ==, "acbc32890ea9");
  hello = raw_hello (raw);
  g_assert_cmpuint (hello->api_version_minor, ==, gc->minor);
  if (gc->generation != ESPY_SIM_GENERATION_2026_1)
    {
      g_autoptr(EspyApi__ConnectResponse) connect = raw_connect_request (raw, NULL);

      g_assert_false (connect->invalid_password);
    }
  info = raw_device_info (raw);
  check_device_info (info, gc, "secure");
  raw_ping (raw);
}

static void
test_noise_wrong_key (void)
{
  g_autoptr(EspySimDevice) device = device_new ("secure", ESPY_SIM_GENERATION_2025_10, KEY);
  g_autoptr(Raw) raw = NULL;
  g_autofree char *reason = NULL;

  device_start (device);
  raw = raw_connect (espy_sim_device_get_api_port (device));
  reason = raw_noise_handshake (raw, OTHER_KEY);
  g_assert_cmpstr (reason, ==, "Handshake MAC failure");
  raw_expect_eof (raw);
}

/* The exact bytes: a Noise frame whose body is 0x01 + the reason. */
static void
test_plaintext_client_on_noise (void)
{
  static const guint8 expected[] = "\x01\x00\x13\x01" "Bad indicator byte";
  g_autoptr(EspySimDevice) device = device_new ("secure", ESPY_SIM_GENERATION_2025_10, KEY);
  EspyApi__HelloRequest hello = ESPY_API__HELLO_REQUEST__INIT;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(Raw) raw = NULL;

  device_start (device);
  raw = raw_connect (espy_sim_device_get_api_port (device));
  hello.client_info = (char *) "plain";
  espy_api_message_append_plaintext (out, &hello.base);
  raw_send (raw, out->data, out->len);
  while (raw->rx->len < sizeof expected - 1)
    g_assert_cmpint (raw_recv (raw), >, 0);
  g_assert_cmpmem (raw->rx->data, raw->rx->len, expected, sizeof expected - 1);
  raw_expect_eof (raw);
}

static void
test_noise_client_on_plaintext (gconstpointer data)
{
  const GenCase *gc = data;
  static const guint8 expected[] = "\x00" "Bad indicator byte";
  g_autoptr(EspySimDevice) device = device_new ("plain", gc->generation, NULL);
  g_autoptr(GByteArray) prologue = g_byte_array_new ();
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(EspyNoiseHandshake) hs = NULL;
  g_autoptr(Raw) raw = NULL;
  guint8 psk[32];
  const guint8 ok = 0;

  device_start (device);
  raw = raw_connect (espy_sim_device_get_api_port (device));
  g_assert_true (espy_api_parse_key (KEY, psk, NULL));
  espy_api_noise_prologue (prologue, NULL, 0);
  hs = espy_noise_handshake_new (ESPY_NOISE_ROLE_INITIATOR, psk, prologue->data, prologue->len);
  g_byte_array_append (msg, &ok, 1);
  g_assert_true (espy_noise_handshake_write_message (hs, NULL, 0, msg, NULL));
  espy_api_frame_encode_noise (out, NULL, 0);
  espy_api_frame_encode_noise (out, msg->data, msg->len);
  raw_send (raw, out->data, out->len);

  if (gc->generation == ESPY_SIM_GENERATION_2024_2)
    {
      /* Older firmware just closes. */
      raw_expect_eof (raw);
      g_assert_cmpuint (raw->rx->len, ==, 0);
      return;
    }
  while (raw->rx->len < sizeof expected - 1)
    g_assert_cmpint (raw_recv (raw), >, 0);
  g_assert_cmpmem (raw->rx->data, raw->rx->len, expected, sizeof expected - 1);
  raw_expect_eof (raw);
}

static void
test_password (gconstpointer data)
{
  const GenCase *gc = data;
  g_autoptr(EspySimDevice) device = device_new ("locked", gc->generation, NULL);
  g_autoptr(Raw) wrong = NULL;
  g_autoptr(Raw) right = NULL;
  g_autoptr(EspyApi__HelloResponse) hello = NULL;
  g_autoptr(EspyApi__HelloResponse) hello2 = NULL;
  g_autoptr(EspyApi__ConnectResponse) bad = NULL;
  g_autoptr(EspyApi__ConnectResponse) good = NULL;
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  g_autoptr(ProtobufCMessage) log = NULL;

  espy_sim_device_set_api_password (device, "hunter2");
  device_start (device);

  wrong = raw_connect (espy_sim_device_get_api_port (device));
  hello = raw_hello (wrong);
  bad = raw_connect_request (wrong, "nope");
  g_assert_true (bad->invalid_password);
  /* Not authenticated: a log subscription ends the connection. */
  raw_subscribe (wrong, ESPY_API_LOG_LEVEL_DEBUG, FALSE);
  raw_expect_eof (wrong);

  right = raw_connect (espy_sim_device_get_api_port (device));
  hello2 = raw_hello (right);
  g_assert_cmpuint (right->get_time_requests, ==, 0);
  good = raw_connect_request (right, "hunter2");
  g_assert_false (good->invalid_password);
  info = raw_device_info (right);
  g_assert_true (info->uses_password);
  g_assert_cmpuint (right->get_time_requests, ==, 1);
  raw_subscribe (right, ESPY_API_LOG_LEVEL_DEBUG, FALSE);
  raw_ping (right);  /* the subscription is in */
  espy_sim_device_log (device, 'I', "test", 7, "after login");
  log = raw_expect (right, ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE);
}

static void
test_password_ignored_2026 (void)
{
  g_autoptr(EspySimDevice) device = device_new ("locked", ESPY_SIM_GENERATION_2026_1, NULL);
  g_autoptr(Raw) raw = NULL;
  g_autoptr(EspyApi__HelloResponse) hello = NULL;
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  g_autoptr(ProtobufCMessage) log = NULL;

  espy_sim_device_set_api_password (device, "hunter2");
  device_start (device);
  raw = raw_connect (espy_sim_device_get_api_port (device));
  hello = raw_hello (raw);
  info = raw_device_info (raw);
  g_assert_false (info->uses_password);
  raw_subscribe (raw, ESPY_API_LOG_LEVEL_DEBUG, FALSE);
  raw_ping (raw);
  espy_sim_device_log (device, 'D', "test", 7, "no password any more");
  log = raw_expect (raw, ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE);
}

/* Reads log responses for MS; checks each; returns the lines. */
static GPtrArray *
read_logs (Raw  *raw,
           guint ms,
           guint max_level)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      guint32 type = 0;
      g_autoptr(GBytes) payload = NULL;
      g_autoptr(EspyApi__SubscribeLogsResponse) log = NULL;
      g_autofree char *letter = NULL;
      char *text;

      if (raw->rx->len == 0 && !raw_readable_within (raw, 50))
        continue;
      payload = raw_read_msg (raw, &type);
      if (type == ESPY_API_MSG_PING_REQUEST)
        continue;
      g_assert_cmpuint (type, ==, ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE);
      log = (EspyApi__SubscribeLogsResponse *) espy_api_message_unpack (type, g_bytes_get_data (payload, NULL),
                                                                        g_bytes_get_size (payload));
      g_assert_nonnull (log);
      g_assert_cmpuint (log->level, <=, max_level);
      text = espy_api_log_message_to_string (log);
      letter = check_log_line (text, log->level);
      g_ptr_array_add (lines, text);
    }
  return lines;
}

static gboolean
any_line_contains (GPtrArray  *lines,
                   const char *needle)
{
  for (guint i = 0; i < lines->len; i++)
    if (strstr (g_ptr_array_index (lines, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_logs (gconstpointer data)
{
  const char *key = data;
  g_autoptr(EspySimDevice) device = device_new ("chatty", ESPY_SIM_GENERATION_2025_10, key);
  g_autoptr(Raw) raw = NULL;
  g_autoptr(Raw) info_only = NULL;
  g_autoptr(EspyApi__HelloResponse) hello = NULL;
  g_autoptr(EspyApi__HelloResponse) hello2 = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GPtrArray) info_lines = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *reason2 = NULL;
  const char *first;

  espy_sim_device_set_log_rate (device, 400);
  device_start (device);

  raw = raw_connect (espy_sim_device_get_api_port (device));
  info_only = raw_connect (espy_sim_device_get_api_port (device));
  if (key != NULL)
    {
      reason = raw_noise_handshake (raw, key);
      reason2 = raw_noise_handshake (info_only, key);
      g_assert_null (reason);
      g_assert_null (reason2);
    }
  hello = raw_hello (raw);
  hello2 = raw_hello (info_only);
  raw_subscribe (raw, ESPY_API_LOG_LEVEL_VERY_VERBOSE, TRUE);
  raw_subscribe (info_only, ESPY_API_LOG_LEVEL_INFO, TRUE);

  lines = read_logs (raw, 1000, ESPY_API_LOG_LEVEL_VERY_VERBOSE);
  g_assert_cmpuint (lines->len, >, 100);
  /* The config dump comes first: several multi-line CONFIG messages. */
  first = g_ptr_array_index (lines, 0);
  g_assert_true (g_str_has_prefix (first, "\033[0;35m[C]["));
  g_assert_nonnull (strchr (first, '\n'));
  g_assert_true (any_line_contains (lines, "Local MAC: C8:C9:A3:") || any_line_contains (lines, "Local MAC: "));
  g_assert_true (any_line_contains (lines, "\033[5m'espy-net'\033[6m"));
  /* Every level, a task line. */
  for (guint i = 0; i < 7; i++)
    {
      static const char * const prefixes[] = { "[E][", "[W][", "[I][", "[C][", "[D][", "[V][", "[VV][" };

      g_assert_true (any_line_contains (lines, prefixes[i]));
    }
  g_assert_true (any_line_contains (lines, "]\033[1;31m[BTC_TASK]\033[0;36m: "));

  /* INFO: only E, W, I and no config dump. */
  info_lines = read_logs (info_only, 300, ESPY_API_LOG_LEVEL_INFO);
  g_assert_cmpuint (info_lines->len, >, 10);
  g_assert_false (any_line_contains (info_lines, "[C]["));
  g_assert_false (any_line_contains (info_lines, "[D]["));
  g_assert_true (any_line_contains (info_lines, "[E]["));
  g_assert_true (any_line_contains (info_lines, "[W]["));
  g_assert_true (any_line_contains (info_lines, "[I]["));

  /* Rate 0: silence. */
  espy_sim_device_set_log_rate (device, 0);
  g_ptr_array_unref (read_logs (raw, 100, ESPY_API_LOG_LEVEL_VERY_VERBOSE));
  g_assert_false (raw_readable_within (raw, 300));
}

static void
test_logs_dropped (void)
{
  g_autoptr(EspySimDevice) device = device_new ("flood", ESPY_SIM_GENERATION_2025_10, NULL);
  g_autoptr(Raw) slow = NULL;
  g_autoptr(Raw) fast = NULL;
  g_autoptr(EspyApi__HelloResponse) hello = NULL;
  g_autoptr(EspyApi__HelloResponse) hello2 = NULL;
  g_autoptr(GPtrArray) slow_lines = NULL;
  g_autoptr(GPtrArray) fast_lines = NULL;

  device_start (device);
  slow = raw_connect (espy_sim_device_get_api_port (device));
  fast = raw_connect (espy_sim_device_get_api_port (device));
  hello = raw_hello (slow);
  hello2 = raw_hello (fast);
  raw_subscribe (slow, ESPY_API_LOG_LEVEL_VERY_VERBOSE, FALSE);
  raw_subscribe (fast, ESPY_API_LOG_LEVEL_VERY_VERBOSE, FALSE);
  g_usleep (100 * G_TIME_SPAN_MILLISECOND);

  /* 5000 lines/s for 3 s while SLOW reads nothing: far more than the
   * socket buffers hold. */
  espy_sim_device_set_log_rate (device, 5000);
  fast_lines = read_logs (fast, 3000, ESPY_API_LOG_LEVEL_VERY_VERBOSE);
  espy_sim_device_set_log_rate (device, 0);
  g_ptr_array_unref (read_logs (fast, 200, ESPY_API_LOG_LEVEL_VERY_VERBOSE));
  slow_lines = read_logs (slow, 700, ESPY_API_LOG_LEVEL_VERY_VERBOSE);
  g_test_message ("fast reader: %u lines, slow reader: %u lines", fast_lines->len, slow_lines->len);
  /* The fast reader kept up; the slow one lost most (and got whole frames). */
  g_assert_cmpuint (fast_lines->len, >, 2500);
  g_assert_cmpuint (slow_lines->len, <, fast_lines->len / 2);
  g_assert_cmpuint (slow_lines->len, >, 0);

  /* The slow one is still served once it reads. */
  espy_sim_device_log (device, 'W', "test", 1, "still there");
  g_ptr_array_unref (slow_lines);
  slow_lines = read_logs (slow, 300, ESPY_API_LOG_LEVEL_VERY_VERBOSE);
  g_assert_true (any_line_contains (slow_lines, "still there"));
}

static void
test_keepalive (void)
{
  g_autoptr(EspySimDevice) device = device_new ("sleepy", ESPY_SIM_GENERATION_2025_10, NULL);
  g_autoptr(Raw) silent = NULL;
  g_autoptr(Raw) raw = NULL;
  g_autoptr(EspyApi__HelloResponse) hello = NULL;
  g_autoptr(ProtobufCMessage) ping = NULL;
  gint64 start;
  gint64 elapsed;

  /* 2 %: Hello within 1.2 s, ping after 1.2 s of silence, drop after 3 s. */
  espy_sim_device_set_timeout_scale (device, 2);
  device_start (device);

  silent = raw_connect (espy_sim_device_get_api_port (device));
  start = g_get_monotonic_time ();
  raw_expect_eof (silent);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("no Hello: closed after %" G_GINT64_FORMAT " ms", elapsed / 1000);
  g_assert_cmpint (elapsed, >=, 1100 * 1000);
  g_assert_cmpint (elapsed, <, 2500 * 1000);

  raw = raw_connect (espy_sim_device_get_api_port (device));
  hello = raw_hello (raw);
  start = g_get_monotonic_time ();
  ping = raw_expect (raw, ESPY_API_MSG_PING_REQUEST);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("device ping after %" G_GINT64_FORMAT " ms", elapsed / 1000);
  g_assert_cmpint (elapsed, >=, 1000 * 1000);
  g_assert_cmpint (elapsed, <, 2000 * 1000);
  /* Unanswered: dropped 150 s (scaled: 3 s) after the last byte it got. */
  raw_expect_eof (raw);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("dropped %" G_GINT64_FORMAT " ms after the Hello", elapsed / 1000);
  g_assert_cmpint (elapsed, >=, 2800 * 1000);
  g_assert_cmpint (elapsed, <, 4500 * 1000);
}

static void
test_client_limit (gconstpointer data)
{
  const char *platform = data;
  guint limit = g_str_equal (platform, "ESP32") ? 8 : 4;
  g_autoptr(EspySimDevice) device = device_new ("busy", ESPY_SIM_GENERATION_2025_10, NULL);
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func ((GDestroyNotify) raw_free);
  g_autoptr(Raw) extra = NULL;
  g_autoptr(Raw) again = NULL;
  g_autoptr(EspyApi__HelloResponse) hello = NULL;

  espy_sim_device_set_platform (device, platform);
  device_start (device);
  for (guint i = 0; i < limit; i++)
    {
      Raw *raw = raw_connect (espy_sim_device_get_api_port (device));
      g_autoptr(EspyApi__HelloResponse) answer = raw_hello (raw);

      g_assert_cmpstr (answer->name, ==, "busy");
      g_ptr_array_add (clients, raw);
    }
  extra = raw_connect (espy_sim_device_get_api_port (device));
  raw_expect_eof (extra);

  /* One leaves: there is room again. */
  g_ptr_array_remove_index (clients, 0);
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  again = raw_connect (espy_sim_device_get_api_port (device));
  hello = raw_hello (again);
  for (guint i = 0; i < clients->len; i++)
    raw_ping (g_ptr_array_index (clients, i));
}

/* An OTA upload with a subscribed client and an idle one. */

typedef struct {
  Raw *probe;
  EspySimDevice *device;
  gint64 ping_sent;
  gint64 first_byte;
} Probe;

/* Pings once the data phase runs; notes when anything comes back. */
static gpointer
probe_thread (gpointer data)
{
  Probe *p = data;
  EspyApi__PingRequest ping = ESPY_API__PING_REQUEST__INIT;
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (espy_sim_device_get_state (p->device) != ESPY_SIM_STATE_UPDATING && g_get_monotonic_time () < end)
    g_usleep (1000);
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  p->ping_sent = g_get_monotonic_time ();
  raw_send_msg (p->probe, &ping.base);
  g_socket_condition_timed_wait (p->probe->sock, G_IO_IN, 10 * G_USEC_PER_SEC, NULL, NULL);
  p->first_byte = g_get_monotonic_time ();
  return NULL;
}

static void
upload_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GError **error = user_data;

  espy_ota_client_upload_finish (ESPY_OTA_CLIENT (source), result, error);
  if (*error == NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "ok");
}

static void
test_ota (gconstpointer data)
{
  const char *key = data;
  g_autoptr(EspySimDevice) device = device_new ("updated", ESPY_SIM_GENERATION_2025_10, key);
  g_autoptr(Raw) raw = NULL;
  g_autoptr(Raw) after = NULL;
  g_autoptr(EspyApi__HelloResponse) hello = NULL;
  g_autoptr(EspyApi__HelloResponse) hello_probe = NULL;
  g_autoptr(EspyApi__HelloResponse) hello_after = NULL;
  g_autoptr(EspyApiDeviceInfo) before_info = NULL;
  g_autoptr(EspyApiDeviceInfo) after_info = NULL;
  g_autoptr(GBytes) bytes = espy_sim_make_image (512 * 1024, "2026.2.0", "Feb  2 2026, 12:34:56", 7);
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(EspyOtaClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) result = NULL;
  g_autoptr(GString) ota_lines = g_string_new (NULL);
  Probe probe = { 0 };
  GThread *thread;
  gint64 upload_end;
  gboolean got_disconnect = FALSE;
  g_autofree char *reason = NULL;
  g_autofree char *reason2 = NULL;
  g_autofree char *reason3 = NULL;

  /* About a second of data phase. */
  espy_sim_device_set_flash_rate (device, 512 * 1024);
  espy_sim_device_set_boot_ms (device, 800);
  device_start (device);

  raw = raw_connect (espy_sim_device_get_api_port (device));
  probe.probe = raw_connect (espy_sim_device_get_api_port (device));
  probe.device = device;
  if (key != NULL)
    {
      reason = raw_noise_handshake (raw, key);
      reason2 = raw_noise_handshake (probe.probe, key);
    }
  hello = raw_hello (raw);
  hello_probe = raw_hello (probe.probe);
  before_info = raw_device_info (raw);
  g_assert_cmpstr (before_info->esphome_version, ==, "2025.10.3");
  raw_subscribe (raw, ESPY_API_LOG_LEVEL_DEBUG, FALSE);
  /* Idle, a ping is answered at once. */
  raw_ping (probe.probe);
  g_assert_cmpuint (probe.probe->get_time_requests, ==, 1);

  image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);
  g_assert_no_error (error);
  client = espy_ota_client_new ("127.0.0.1", espy_sim_device_get_ota_port (device));
  thread = g_thread_new ("probe", probe_thread, &probe);
  espy_ota_client_upload_async (client, image, NULL, upload_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  upload_end = g_get_monotonic_time ();
  g_assert_cmpstr (result->message, ==, "ok");
  g_thread_join (thread);

  /* The main loop stalled: the ping waited for the end of the data phase. */
  g_test_message ("ping during the data phase answered after %" G_GINT64_FORMAT " ms",
                  (probe.first_byte - probe.ping_sent) / 1000);
  g_assert_cmpint (probe.first_byte, >=, upload_end - 100 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (probe.first_byte - probe.ping_sent, >=, 300 * G_TIME_SPAN_MILLISECOND);

  /* OTA log lines, then the goodbye, then the close. */
  for (;;)
    {
      guint32 type = 0;
      g_autoptr(GBytes) payload = raw_read_msg (raw, &type);

      if (type == ESPY_API_MSG_DISCONNECT_REQUEST)
        {
          got_disconnect = TRUE;
          break;
        }
      if (type == ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE)
        {
          g_autoptr(EspyApi__SubscribeLogsResponse) log = NULL;
          g_autofree char *text = NULL;
          g_autofree char *letter = NULL;

          log = (EspyApi__SubscribeLogsResponse *) espy_api_message_unpack (type, g_bytes_get_data (payload, NULL),
                                                                            g_bytes_get_size (payload));
          text = espy_api_log_message_to_string (log);
          letter = check_log_line (text, log->level);
          g_string_append_printf (ota_lines, "%s\n", text);
        }
    }
  g_assert_true (got_disconnect);
  g_assert_nonnull (strstr (ota_lines->str, "[ota:148]: Starting update from 127.0.0.1"));
  g_assert_nonnull (strstr (ota_lines->str, "[ota:250]: Progress: 50.0%"));
  g_assert_nonnull (strstr (ota_lines->str, "[ota:250]: Progress: 100.0%"));
  g_assert_nonnull (strstr (ota_lines->str, "[ota:312]: Update complete"));
  raw_expect_eof (raw);

  /* Unreachable while it boots, then back with the new firmware. */
  wait_for_state (device, ESPY_SIM_STATE_REBOOTING);
  {
    g_autoptr(Raw) early = raw_try_connect (espy_sim_device_get_api_port (device));

    if (early != NULL)
      {
        g_autoptr(GSocketAddress) local = g_socket_get_local_address (early->sock, NULL);

        g_test_message ("connected while state %d, local port %u, api port %u",
                        espy_sim_device_get_state (device),
                        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)),
                        espy_sim_device_get_api_port (device));
      }
    g_assert_null (early);
  }
  wait_for_state (device, ESPY_SIM_STATE_RUNNING);
  after = raw_connect (espy_sim_device_get_api_port (device));
  if (key != NULL)
    reason3 = raw_noise_handshake (after, key);
  g_assert_null (reason3);
  hello_after = raw_hello (after);
  g_assert_cmpstr (hello_after->server_info, ==, "2026.2.0");
  after_info = raw_device_info (after);
  g_assert_cmpstr (after_info->esphome_version, ==, "2026.2.0");
  g_assert_cmpstr (after_info->compilation_time, ==, "Feb  2 2026, 12:34:56");
  raw_free (probe.probe);
}

/* ---- the core's EspyApiClient against the sim --------------------------- */

typedef struct {
  GAsyncResult *result;
  GPtrArray *lines;
  char *disconnect_reason;
} Ctx;

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
        gpointer       user_data)
{
  Ctx *ctx = user_data;

  g_ptr_array_add (ctx->lines, g_strdup (message));
}

static void
on_disconnected (EspyApiClient *client,
                 const char    *reason,
                 GError        *error,
                 gpointer       user_data)
{
  Ctx *ctx = user_data;

  g_free (ctx->disconnect_reason);
  ctx->disconnect_reason = g_strdup (reason);
}

static void
wait_result (Ctx *ctx)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  g_clear_object (&ctx->result);
  while (ctx->result == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
test_interop (gconstpointer data)
{
  const GenCase *gc = data;
  g_autoptr(EspySimDevice) device = configured_device (gc, "interop", KEY);
  g_autoptr(EspyApiClient) client = NULL;
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  Ctx ctx = { 0 };
  guint major = 0;
  guint minor = 0;
  gint64 end;

  ctx.lines = g_ptr_array_new_with_free_func (g_free);
  espy_sim_device_set_log_rate (device, 100);
  device_start (device);

  client = espy_api_client_new ("127.0.0.1", espy_sim_device_get_api_port (device));
  g_assert_true (espy_api_client_set_encryption_key (client, KEY, &error));
  espy_api_client_set_client_info (client, "test-sim-api");
  g_signal_connect (client, "log-message", G_CALLBACK (on_log), &ctx);
  g_signal_connect (client, "disconnected", G_CALLBACK (on_disconnected), &ctx);
  espy_api_client_connect_async (client, NULL, store_result, &ctx);
  wait_result (&ctx);
  g_assert_true (espy_api_client_connect_finish (client, ctx.result, &error));
  g_assert_no_error (error);
  g_assert_true (espy_api_client_get_encrypted (client));
  espy_api_client_get_api_version (client, &major, &minor);
  g_assert_cmpuint (major, ==, 1);
  g_assert_cmpuint (minor, ==, gc->minor);
  g_assert_cmpstr (espy_api_client_get_noise_name (client), ==, "interop");

  espy_api_client_device_info_async (client, NULL, store_result, &ctx);
  wait_result (&ctx);
  info = espy_api_client_device_info_finish (client, ctx.result, &error);
  g_assert_no_error (error);
  check_device_info (info, gc, "interop");

  g_assert_true (espy_api_client_subscribe_logs (client, ESPY_API_LOG_LEVEL_VERY_VERBOSE, TRUE, &error));
  end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (ctx.lines->len < 50 && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpuint (ctx.lines->len, >=, 50);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (ctx.lines, 0), "\033[0;35m[C][logger:262]: Logger:\n"));
  g_assert_true (any_line_contains (ctx.lines, "[D][sensor:094]: 'Temperature': Sending state"));

  /* A device that powers off: the client hears the close. */
  espy_sim_device_stop (device);
  end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (ctx.disconnect_reason == NULL && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_nonnull (ctx.disconnect_reason);
  g_assert_cmpstr (ctx.disconnect_reason, !=, "requested");
  g_clear_object (&ctx.result);
  g_ptr_array_unref (ctx.lines);
  g_free (ctx.disconnect_reason);
}

/* The web server: /events from the same generator, /update through the
 * same reboot as an OTA. */

static void
on_web_log (EspyEventStream *stream,
            const char      *line,
            gpointer         user_data)
{
  g_ptr_array_add (user_data, g_strdup (line));
}

static void
web_upload_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GError **error = user_data;

  espy_web_ota_client_upload_finish (ESPY_WEB_OTA_CLIENT (source), result, error);
  if (*error == NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "ok");
}

static void
test_web (void)
{
  g_autoptr(EspySimDevice) device = device_new ("webby", ESPY_SIM_GENERATION_2025_10, NULL);
  g_autoptr(EspyEventStream) stream = NULL;
  g_autoptr(EspyWebOtaClient) web = NULL;
  g_autoptr(GPtrArray) web_lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GBytes) bytes = espy_sim_make_image (64 * 1024, "2026.3.0", "Mar  3 2026, 03:03:03", 3);
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(Raw) raw = NULL;
  g_autoptr(Raw) after = NULL;
  g_autoptr(EspyApi__HelloResponse) hello = NULL;
  g_autoptr(EspyApi__HelloResponse) hello_after = NULL;
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) result = NULL;
  Ctx ctx = { 0 };
  gint64 end;

  espy_sim_device_set_web_port (device, 0);
  espy_sim_device_set_log_rate (device, 200);
  device_start (device);
  g_assert_cmpuint (espy_sim_device_get_web_port (device), !=, 0);

  stream = espy_event_stream_new ("127.0.0.1", espy_sim_device_get_web_port (device));
  g_signal_connect (stream, "log", G_CALLBACK (on_web_log), web_lines);
  espy_event_stream_connect_async (stream, NULL, store_result, &ctx);
  wait_result (&ctx);
  g_assert_true (espy_event_stream_connect_finish (stream, ctx.result, &error));
  g_assert_no_error (error);
  end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (web_lines->len < 20 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (web_lines->len, >=, 20);
  g_assert_true (any_line_contains (web_lines, "\033[0;36m[D][sensor:094]: 'Temperature': Sending state"));
  espy_event_stream_close (stream);

  raw = raw_connect (espy_sim_device_get_api_port (device));
  hello = raw_hello (raw);
  info = raw_device_info (raw);
  g_assert_cmpuint (info->webserver_port, ==, espy_sim_device_get_web_port (device));
  g_clear_pointer (&info, espy_api_message_free);

  image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);
  g_assert_no_error (error);
  web = espy_web_ota_client_new ("127.0.0.1", espy_sim_device_get_web_port (device));
  espy_web_ota_client_upload_async (web, image, NULL, web_upload_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (result->message, ==, "ok");

  /* The same goodbye and reboot as after a native OTA. */
  for (;;)
    {
      guint32 type = 0;

      g_bytes_unref (raw_read_msg (raw, &type));
      if (type == ESPY_API_MSG_DISCONNECT_REQUEST)
        break;
    }
  raw_expect_eof (raw);
  wait_for_state (device, ESPY_SIM_STATE_REBOOTING);
  wait_for_state (device, ESPY_SIM_STATE_RUNNING);
  g_assert_cmpuint (espy_sim_device_get_upload_count (device), ==, 1);
  after = raw_connect (espy_sim_device_get_api_port (device));
  hello_after = raw_hello (after);
  info = raw_device_info (after);
  g_assert_cmpstr (info->esphome_version, ==, "2026.3.0");
  g_assert_cmpstr (info->compilation_time, ==, "Mar  3 2026, 03:03:03");
  g_clear_object (&ctx.result);
}

static void
test_invalid_key (void)
{
  g_autoptr(EspySimDevice) device = espy_sim_device_new ("bad");
  g_autoptr(GError) error = NULL;

  g_assert_false (espy_sim_device_set_api_key (device, "c2hvcnQ=", &error));
  g_assert_error (error, ESPY_API_ERROR, ESPY_API_ERROR_INVALID_KEY);
  g_assert_false (espy_sim_device_get_api_encrypted (device));
  g_clear_error (&error);
  g_assert_false (espy_sim_device_set_mac (device, "AC:BC:32", &error));
  g_assert_nonnull (error);
  /* Without an API port there is no API. */
  espy_sim_device_set_ota_port (device, 0);
  g_assert_true (espy_sim_device_start (device, NULL));
  g_assert_cmpuint (espy_sim_device_get_api_port (device), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  line_regex = g_regex_new ("^\\033\\[(\\d;\\d\\d)m\\[(E|W|I|C|D|V|VV)\\]\\[([a-z0-9_.]+):(\\d{3,})\\]"
                            "(?:\\033\\[1;31m\\[[A-Za-z0-9_]+\\]\\033\\[(\\d;\\d\\d)m)?: (.*)\\033\\[0m$",
                            G_REGEX_DOTALL, 0, NULL);
  g_assert_nonnull (line_regex);

  for (guint i = 0; i < G_N_ELEMENTS (gen_cases); i++)
    {
      g_autofree char *plain = g_strdup_printf ("/sim-api/plaintext/%s", gen_cases[i].name);
      g_autofree char *noise = g_strdup_printf ("/sim-api/noise/%s", gen_cases[i].name);
      g_autofree char *reject = g_strdup_printf ("/sim-api/reject/noise-client-on-plaintext/%s",
                                                 gen_cases[i].name);
      g_autofree char *interop = g_strdup_printf ("/sim-api/interop/%s", gen_cases[i].name);

      g_test_add_data_func (plain, &gen_cases[i], test_plaintext);
      g_test_add_data_func (noise, &gen_cases[i], test_noise);
      g_test_add_data_func (reject, &gen_cases[i], test_noise_client_on_plaintext);
      g_test_add_data_func (interop, &gen_cases[i], test_interop);
    }
  g_test_add_data_func ("/sim-api/password/2024.2", &gen_cases[0], test_password);
  g_test_add_data_func ("/sim-api/password/2025.10", &gen_cases[1], test_password);
  g_test_add_func ("/sim-api/password/2026.1-ignored", test_password_ignored_2026);
  g_test_add_func ("/sim-api/noise/wrong-key", test_noise_wrong_key);
  g_test_add_func ("/sim-api/reject/plaintext-client-on-noise", test_plaintext_client_on_noise);
  g_test_add_data_func ("/sim-api/logs/plaintext", NULL, test_logs);
  g_test_add_data_func ("/sim-api/logs/noise", KEY, test_logs);
  g_test_add_func ("/sim-api/logs/dropped", test_logs_dropped);
  g_test_add_func ("/sim-api/keepalive", test_keepalive);
  g_test_add_data_func ("/sim-api/client-limit/ESP32", "ESP32", test_client_limit);
  g_test_add_data_func ("/sim-api/client-limit/ESP8266", "ESP8266", test_client_limit);
  g_test_add_data_func ("/sim-api/ota/plaintext", NULL, test_ota);
  g_test_add_data_func ("/sim-api/ota/noise", KEY, test_ota);
  g_test_add_func ("/sim-api/web", test_web);
  g_test_add_func ("/sim-api/invalid-config", test_invalid_key);

  status = g_test_run ();
  g_regex_unref (line_regex);
  return status;
}
