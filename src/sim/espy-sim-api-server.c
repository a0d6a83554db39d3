/* espy-sim-api-server.c: the device side of the ESPHome native API (wire
 * doc sections 5 and 6), framing and crypto from the core.
 *
 * Everything runs on one GMainContext, as on a device everything runs in
 * its main loop: non-blocking sockets, one source per connection, a
 * keep-alive tick. Log lines may come from any thread (an OTA session logs
 * while the main loop is stalled): one mutex guards every connection, and
 * sends never block, so a slow reader loses log lines instead of holding
 * anyone up.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "espy-sim-api-server.h"
#include "espy-api-client.h"
#include "espy-api-frame.h"
#include "espy-noise.h"
#include "espy-secret-string.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#define READ_CHUNK      16384
/* Log lines are batched until this much is pending, then sent. */
#define TX_FLUSH_AT     4096
/* A client with this much unsent gets no more log lines until it reads. */
#define TX_LOG_LIMIT    16384
/* A device has little socket buffer; a big one would hide slow readers. */
#define SOCKET_SNDBUF   16384
/* After a reject or a goodbye: let the client read it before the close. */
#define LINGER_US       (250 * G_TIME_SPAN_MILLISECOND)
#define HELLO_US        (60 * G_TIME_SPAN_SECOND)
#define PING_US         (60 * G_TIME_SPAN_SECOND)
#define DROP_US         (150 * G_TIME_SPAN_SECOND)

G_DEFINE_QUARK (espy-sim-api-server-error-quark, espy_sim_api_server_error)

typedef enum {
  PHASE_NOISE_HELLO,      /* waiting for the client hello frame */
  PHASE_NOISE_HANDSHAKE,  /* server hello sent, waiting for the handshake frame */
  PHASE_DATA,             /* messages */
  PHASE_CLOSING,          /* last bytes queued: flush, half-close, linger */
} Phase;

typedef struct _Client Client;

struct _EspySimApiServer
{
  GObject parent_instance;

  GMutex mutex;  /* guards everything below and every Client */

  char *name;
  char *friendly_name;
  char *mac;  /* 12 lowercase hex digits */
  char *platform;
  char *board;
  char *version;
  char *compilation_time;
  char *project_name;
  char *project_version;
  char *password;
  EspySimGeneration generation;
  guint16 web_port;
  guint timeout_scale;
  guint max_clients;      /* 0 = by platform */
  gboolean have_key;
  guint8 psk[ESPY_NOISE_KEY_LEN];
  gboolean have_pending_key;  /* NoiseEncryptionSetKeyRequest: used from the next start */
  guint8 pending_psk[ESPY_NOISE_KEY_LEN];
  guint16 port;

  gboolean running;
  GMainContext *context;
  GPtrArray *listeners;   /* GSocket */
  GPtrArray *sources;     /* listener sources */
  GSource *tick;
  GPtrArray *clients;     /* Client, one reference each */
  guint64 dropped;
};

G_DEFINE_FINAL_TYPE (EspySimApiServer, espy_sim_api_server, G_TYPE_OBJECT)

/* A connection. Reference counted: the server's list and each source hold
 * one, so a callback that waited for the mutex finds `dead` set instead of
 * freed memory. */
struct _Client
{
  EspySimApiServer *server;  /* strong */
  GSocket *socket;
  GSource *in_source;
  GSource *out_source;
  GByteArray *rx;
  GByteArray *tx;
  Phase phase;
  gboolean noise;
  gboolean dead;
  gboolean broken;           /* a send failed off the loop: close on the next tick */
  gboolean close_after_flush;
  gboolean shut;             /* write side shut down, lingering */
  EspyNoiseHandshake *hs;
  EspyNoiseCipher *send;
  EspyNoiseCipher *recv;
  /* What the connection was set up with, copied at accept. */
  EspySimGeneration generation;
  gsize max_payload;
  gboolean hello_done;
  gboolean authenticated;
  gboolean subscribed;
  EspyApiLogLevel log_level;
  gint64 accepted_us;
  gint64 last_rx_us;
  gint64 linger_until;
  gboolean ping_sent;
};

static void
client_clear (gpointer data)
{
  Client *c = data;

  g_clear_object (&c->socket);
  g_clear_pointer (&c->rx, g_byte_array_unref);
  g_clear_pointer (&c->tx, g_byte_array_unref);
  g_clear_pointer (&c->hs, espy_noise_handshake_free);
  g_clear_pointer (&c->send, espy_noise_cipher_free);
  g_clear_pointer (&c->recv, espy_noise_cipher_free);
  g_clear_object (&c->server);
}

static void
client_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, client_clear);
}

static gint64
scaled (EspySimApiServer *self,
        gint64            us)
{
  return MAX (us * (gint64) self->timeout_scale / 100, G_TIME_SPAN_MILLISECOND);
}

static gboolean
platform_is (const char *platform,
             const char *prefix)
{
  return platform != NULL && g_ascii_strncasecmp (platform, prefix, strlen (prefix)) == 0;
}

/* Closing and sending (mutex held) */

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
client_close_locked (Client *c)
{
  EspySimApiServer *self = c->server;

  if (c->dead)
    return;
  c->dead = TRUE;
  destroy_source (&c->in_source);
  destroy_source (&c->out_source);
  /* The loop thread may still be polling the fd, which keeps the
   * connection alive past close(): shutdown ends it now. */
  g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
  g_socket_close (c->socket, NULL);
  /* Drops the list's reference; the sources' go when they are finalized. */
  g_ptr_array_remove (self->clients, c);
}

static gboolean client_out_cb (GSocket      *socket,
                               GIOCondition  condition,
                               gpointer      data);

static void
client_start_linger_locked (Client *c)
{
  c->shut = TRUE;
  g_socket_shutdown (c->socket, FALSE, TRUE, NULL);
  c->linger_until = g_get_monotonic_time () + LINGER_US;
}

/* The rest goes out when the socket can take it. */
static void
client_arm_send_locked (Client *c)
{
  if (c->out_source != NULL)
    return;
  c->out_source = g_socket_create_source (c->socket, G_IO_OUT, NULL);
  g_source_set_callback (c->out_source, (GSourceFunc) (GCallback) client_out_cb,
                         g_atomic_rc_box_acquire (c), client_unref);
  g_source_set_static_name (c->out_source, "[espy-sim-api] send");
  g_source_attach (c->out_source, c->server->context);
}

/* Sends what the socket takes now. FALSE when the connection broke. */
static gboolean
client_flush_locked (Client *c)
{
  while (c->tx->len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send_with_blocking (c->socket, (const char *) c->tx->data, c->tx->len, FALSE,
                                              NULL, &error);

      if (n > 0)
        {
          g_byte_array_remove_range (c->tx, 0, (guint) n);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      c->broken = TRUE;
      return FALSE;
    }

  if (c->tx->len > 0)
    client_arm_send_locked (c);
  else
    {
      destroy_source (&c->out_source);
      if (c->close_after_flush && !c->shut)
        client_start_linger_locked (c);
    }
  return TRUE;
}

/* Queues FRAME bytes; a log line is dropped when the client is behind. */
static void
client_queue_locked (Client       *c,
                     const guint8 *data,
                     gsize         len,
                     gboolean      is_log)
{
  if (c->dead || c->broken || c->close_after_flush)
    return;
  if (is_log && c->tx->len >= TX_LOG_LIMIT)
    {
      /* An armed send source means the socket is full: no syscall needed. */
      if (c->out_source == NULL)
        client_flush_locked (c);
      if (c->tx->len >= TX_LOG_LIMIT)
        {
          c->server->dropped++;
          return;
        }
    }
  g_byte_array_append (c->tx, data, (guint) len);
  /* Answers go out at once; log lines from the main loop in batches. */
  if (!is_log || c->tx->len >= TX_FLUSH_AT || !g_main_context_is_owner (c->server->context))
    client_flush_locked (c);
  else
    client_arm_send_locked (c);
}

/* One message: plaintext frame, or a Noise transport frame. */
static void
client_send_payload_locked (Client       *c,
                            guint32       type,
                            const guint8 *payload,
                            gsize         len,
                            gboolean      is_log)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();

  if (c->dead || c->phase != PHASE_DATA)
    return;
  if (c->noise)
    {
      g_autoptr(GByteArray) plain = g_byte_array_new ();
      g_autoptr(GByteArray) body = g_byte_array_new ();
      g_autoptr(GError) error = NULL;

      if (!espy_api_noise_message_encode (plain, type, payload, len) ||
          !espy_noise_cipher_encrypt (c->send, NULL, 0, plain->data, plain->len, body, &error) ||
          !espy_api_frame_encode_noise (frame, body->data, body->len))
        {
          c->broken = TRUE;
          return;
        }
    }
  else
    espy_api_frame_encode_plaintext (frame, type, payload, len);
  client_queue_locked (c, frame->data, frame->len, is_log);
}

static void
client_send_locked (Client                 *c,
                    const ProtobufCMessage *message)
{
  g_autoptr(GBytes) payload = espy_api_message_pack (message);

  client_send_payload_locked (c, espy_api_message_type (message), g_bytes_get_data (payload, NULL),
                              g_bytes_get_size (payload), FALSE);
}

/* Raw bytes (handshake frames, rejects), then close once they are out. */
static void
client_send_raw_and_close_locked (Client       *c,
                                  const guint8 *data,
                                  gsize         len)
{
  if (len > 0)
    client_queue_locked (c, data, len, FALSE);
  c->phase = PHASE_CLOSING;
  c->close_after_flush = TRUE;
  client_flush_locked (c);
}

static void
client_reject_locked (Client     *c,
                      const char *reason)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) frame = g_byte_array_new ();

  espy_api_noise_reject_encode (body, reason);
  espy_api_frame_encode_noise (frame, body->data, body->len);
  client_send_raw_and_close_locked (c, frame->data, frame->len);
}

static void
client_goodbye_locked (Client *c)
{
  c->phase = PHASE_CLOSING;
  c->close_after_flush = TRUE;
  client_flush_locked (c);
}

/* Messages */

static guint
api_minor (EspySimGeneration generation)
{
  switch (generation)
    {
    case ESPY_SIM_GENERATION_2024_2:
      return 10;
    case ESPY_SIM_GENERATION_2025_10:
      return 13;
    case ESPY_SIM_GENERATION_2026_1:
    default:
      return 14;
    }
}

static gboolean
has_password (EspySimApiServer *self,
              EspySimGeneration generation)
{
  /* 2026.1 removed password auth. */
  return generation != ESPY_SIM_GENERATION_2026_1 && self->password != NULL && *self->password != '\0';
}

static char *
mac_with_colons (const char *mac)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; mac[i] != '\0'; i++)
    {
      if (i > 0 && i % 2 == 0)
        g_string_append_c (out, ':');
      g_string_append_c (out, g_ascii_toupper (mac[i]));
    }
  return g_string_free (out, FALSE);
}

static void
client_authenticated_locked (Client *c)
{
  EspyApi__GetTimeRequest get_time = ESPY_API__GET_TIME_REQUEST__INIT;

  if (c->authenticated)
    return;
  c->authenticated = TRUE;
  /* Devices with `time: platform: homeassistant` ask the client once. */
  client_send_locked (c, &get_time.base);
}

static void
append_dump_line (GPtrArray  *lines,
                  const char *tag,
                  guint       line,
                  const char *text)
{
  g_ptr_array_add (lines, espy_sim_format_log_line_task ('C', tag, line, NULL, text));
}

/* What `logger:` prints on dump_config: one message per component, several
 * lines each. */
static GPtrArray *
config_dump_locked (EspySimApiServer *self)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *mac = mac_with_colons (self->mac);
  g_autofree char *text = NULL;

  append_dump_line (lines, "logger", 262,
                    "Logger:\n  Max Level: VERY_VERBOSE\n  Initial Level: DEBUG\n  Log Baud Rate: 115200");
  text = g_strdup_printf ("WiFi:\n  Local MAC: %s\n  SSID: \033[5m'espy-net'\033[6m\n"
                          "  IP Address: 127.0.0.1\n  BSSID: \033[5m12:34:56:78:9A:BC\033[6m\n"
                          "  Hostname: '%s'\n  Signal strength: -61 dB\n  Channel: 6",
                          mac, self->name);
  append_dump_line (lines, "wifi", 600, text);
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("Board: %s\n  Platform: %s\n  ESPHome version %s compiled on %s",
                          self->board != NULL ? self->board : "", self->platform,
                          self->version, self->compilation_time);
  append_dump_line (lines, "esphome.core", 104, text);
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("API Server:\n  Address: 127.0.0.1:%u\n  Using noise encryption: %s",
                          self->port, self->have_key ? "YES" : "NO");
  append_dump_line (lines, "api", 218, text);
  append_dump_line (lines, "sensor", 31,
                    "Sensor 'Temperature'\n  Device Class: 'temperature'\n"
                    "  State Class: 'measurement'\n  Unit of Measurement: '°C'\n  Accuracy Decimals: 1");
  return lines;
}

static void
send_log_locked (Client          *c,
                 EspyApiLogLevel  level,
                 const char      *line,
                 gboolean         is_log)
{
  EspyApi__SubscribeLogsResponse response = ESPY_API__SUBSCRIBE_LOGS_RESPONSE__INIT;
  g_autoptr(GBytes) payload = NULL;

  response.level = (EspyApi__LogLevel) level;
  response.message.data = (guint8 *) line;
  response.message.len = strlen (line);
  payload = espy_api_message_pack (&response.base);
  client_send_payload_locked (c, ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE, g_bytes_get_data (payload, NULL),
                              g_bytes_get_size (payload), is_log);
}

static void
handle_hello_locked (Client                       *c,
                     const EspyApi__HelloRequest  *hello)
{
  EspySimApiServer *self = c->server;
  EspyApi__HelloResponse response = ESPY_API__HELLO_RESPONSE__INIT;
  g_autofree char *server_info = NULL;

  if (c->generation == ESPY_SIM_GENERATION_2024_2)
    server_info = g_strdup_printf ("%s (esphome v%s)", self->name, self->version);
  else
    server_info = g_strdup (self->version);
  response.api_version_major = 1;
  response.api_version_minor = api_minor (c->generation);
  response.server_info = server_info;
  response.name = self->name;
  c->hello_done = TRUE;
  client_send_locked (c, &response.base);

  /* Up to 2025.6 only ConnectRequest authenticates; later ones let a
   * client without a password in right after Hello. */
  if (c->generation == ESPY_SIM_GENERATION_2026_1 ||
      (c->generation != ESPY_SIM_GENERATION_2024_2 && !has_password (self, c->generation)))
    client_authenticated_locked (c);
}

static void
handle_connect_locked (Client                        *c,
                       const EspyApi__ConnectRequest *request)
{
  EspySimApiServer *self = c->server;
  EspyApi__ConnectResponse response = ESPY_API__CONNECT_RESPONSE__INIT;
  gboolean correct;

  if (c->generation == ESPY_SIM_GENERATION_2026_1)
    return;  /* type 3 is gone: ignored */
  correct = !has_password (self, c->generation) ||
            g_strcmp0 (request->password, self->password) == 0;
  response.invalid_password = !correct;
  client_send_locked (c, &response.base);
  if (correct)
    client_authenticated_locked (c);
}

static void
handle_device_info_locked (Client *c)
{
  EspySimApiServer *self = c->server;
  EspyApi__DeviceInfoResponse info = ESPY_API__DEVICE_INFO_RESPONSE__INIT;
  g_autofree char *mac = mac_with_colons (self->mac);
  const char *manufacturer = "";

  if (platform_is (self->platform, "ESP32") || platform_is (self->platform, "ESP8266"))
    manufacturer = "Espressif";
  else if (platform_is (self->platform, "RP2040"))
    manufacturer = "Raspberry Pi";
  else if (platform_is (self->platform, "BK72"))
    manufacturer = "Beken";

  info.uses_password = has_password (self, c->generation);
  info.name = self->name;
  info.mac_address = mac;
  info.esphome_version = self->version;
  info.compilation_time = self->compilation_time;
  info.model = self->board != NULL ? self->board : (char *) "";
  info.manufacturer = (char *) manufacturer;
  info.friendly_name = self->friendly_name != NULL ? self->friendly_name : (char *) "";
  info.webserver_port = self->web_port;
  if (self->project_name != NULL)
    {
      info.project_name = self->project_name;
      info.project_version = self->project_version != NULL ? self->project_version : (char *) "";
    }
  /* Not a field of 2024 firmware. */
  info.api_encryption_supported = c->generation != ESPY_SIM_GENERATION_2024_2;
  client_send_locked (c, &info.base);
}

static void
handle_subscribe_logs_locked (Client                              *c,
                              const EspyApi__SubscribeLogsRequest *request)
{
  c->subscribed = TRUE;
  c->log_level = (EspyApiLogLevel) request->level;
  if (request->dump_config && c->log_level >= ESPY_API_LOG_LEVEL_CONFIG)
    {
      g_autoptr(GPtrArray) lines = config_dump_locked (c->server);

      for (guint i = 0; i < lines->len; i++)
        send_log_locked (c, ESPY_API_LOG_LEVEL_CONFIG, g_ptr_array_index (lines, i), FALSE);
    }
}

static void
handle_set_key_locked (Client                                      *c,
                       const EspyApi__NoiseEncryptionSetKeyRequest *request)
{
  EspySimApiServer *self = c->server;
  EspyApi__NoiseEncryptionSetKeyResponse response = ESPY_API__NOISE_ENCRYPTION_SET_KEY_RESPONSE__INIT;
  guint8 psk[ESPY_NOISE_KEY_LEN];

  response.success = c->generation != ESPY_SIM_GENERATION_2024_2 &&
                     espy_api_parse_key (request->key, psk, NULL);
  if (response.success)
    {
      memcpy (self->pending_psk, psk, sizeof psk);
      self->have_pending_key = TRUE;
    }
  explicit_bzero (psk, sizeof psk);
  client_send_locked (c, &response.base);
}

static void
handle_message_locked (Client       *c,
                       guint32       type,
                       const guint8 *data,
                       gsize         len)
{
  g_autoptr(ProtobufCMessage) message = NULL;

  if (espy_api_message_descriptor (type) == NULL)
    return;  /* unknown types are skipped */
  message = espy_api_message_unpack (type, data, len);
  if (message == NULL)
    {
      client_goodbye_locked (c);
      return;
    }

  /* Before Hello only Hello, pings and goodbyes are allowed. */
  if (!c->hello_done && type != ESPY_API_MSG_HELLO_REQUEST && type != ESPY_API_MSG_PING_REQUEST &&
      type != ESPY_API_MSG_PING_RESPONSE && type != ESPY_API_MSG_DISCONNECT_REQUEST)
    {
      client_goodbye_locked (c);
      return;
    }

  switch (type)
    {
    case ESPY_API_MSG_HELLO_REQUEST:
      if (!c->hello_done)
        handle_hello_locked (c, (EspyApi__HelloRequest *) message);
      break;
    case ESPY_API_MSG_CONNECT_REQUEST:
      handle_connect_locked (c, (EspyApi__ConnectRequest *) message);
      break;
    case ESPY_API_MSG_DISCONNECT_REQUEST:
      {
        EspyApi__DisconnectResponse bye = ESPY_API__DISCONNECT_RESPONSE__INIT;

        client_send_locked (c, &bye.base);
        client_goodbye_locked (c);
      }
      break;
    case ESPY_API_MSG_DISCONNECT_RESPONSE:
      client_goodbye_locked (c);
      break;
    case ESPY_API_MSG_PING_REQUEST:
      {
        EspyApi__PingResponse pong = ESPY_API__PING_RESPONSE__INIT;

        client_send_locked (c, &pong.base);
      }
      break;
    case ESPY_API_MSG_DEVICE_INFO_REQUEST:
      handle_device_info_locked (c);
      break;
    case ESPY_API_MSG_SUBSCRIBE_LOGS_REQUEST:
      if (!c->authenticated)
        client_goodbye_locked (c);  /* unauthenticated access */
      else
        handle_subscribe_logs_locked (c, (EspyApi__SubscribeLogsRequest *) message);
      break;
    case ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_REQUEST:
      if (!c->authenticated)
        client_goodbye_locked (c);
      else
        handle_set_key_locked (c, (EspyApi__NoiseEncryptionSetKeyRequest *) message);
      break;
    default:
      /* Responses to our requests (ping, time) and device-to-client types. */
      break;
    }
}

/* Framing */

static void
noise_handshake_locked (Client       *c,
                        const guint8 *body,
                        gsize         len)
{
  g_autoptr(GByteArray) reply = g_byte_array_new ();
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const guint8 ok = ESPY_API_NOISE_HANDSHAKE_OK;

  if (len == 0)
    {
      client_reject_locked (c, "Empty handshake message");
      return;
    }
  if (body[0] != ESPY_API_NOISE_HANDSHAKE_OK)
    {
      client_reject_locked (c, "Bad handshake error byte");
      return;
    }
  if (!espy_noise_handshake_read_message (c->hs, body + 1, len - 1, NULL, &error))
    {
      if (g_error_matches (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_DECRYPT))
        client_reject_locked (c, "Handshake MAC failure");
      else if (g_error_matches (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_INVALID_LENGTH))
        client_reject_locked (c, "Bad handshake packet len");
      else
        client_reject_locked (c, "Handshake error");
      return;
    }
  g_byte_array_append (reply, &ok, 1);
  if (!espy_noise_handshake_write_message (c->hs, NULL, 0, reply, &error) ||
      !espy_noise_handshake_split (c->hs, &c->send, &c->recv, &error))
    {
      client_reject_locked (c, "Handshake error");
      return;
    }
  g_clear_pointer (&c->hs, espy_noise_handshake_free);
  espy_api_frame_encode_noise (frame, reply->data, reply->len);
  client_queue_locked (c, frame->data, frame->len, FALSE);
  c->phase = PHASE_DATA;
}

static void
noise_client_hello_locked (Client       *c,
                           const guint8 *body,
                           gsize         len)
{
  EspySimApiServer *self = c->server;
  g_autoptr(GByteArray) prologue = g_byte_array_new ();
  g_autoptr(GByteArray) hello = g_byte_array_new ();
  g_autoptr(GByteArray) frame = g_byte_array_new ();

  espy_api_noise_prologue (prologue, body, len);
  c->hs = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, self->psk, prologue->data, prologue->len);
  /* The MAC joined the server hello in 2025.4. */
  espy_api_noise_server_hello_encode (hello, self->name,
                                      c->generation == ESPY_SIM_GENERATION_2024_2 ? NULL : self->mac);
  espy_api_frame_encode_noise (frame, hello->data, hello->len);
  client_queue_locked (c, frame->data, frame->len, FALSE);
  c->phase = PHASE_NOISE_HANDSHAKE;
}

static void
noise_data_locked (Client       *c,
                   const guint8 *body,
                   gsize         len)
{
  g_autoptr(GByteArray) plain = g_byte_array_new ();
  const guint8 *payload = NULL;
  gsize payload_len = 0;
  guint32 type = 0;

  if (!espy_noise_cipher_decrypt (c->recv, NULL, 0, body, len, plain, NULL) ||
      !espy_api_noise_message_decode (plain->data, plain->len, &type, &payload, &payload_len) ||
      payload_len > c->max_payload)
    {
      client_goodbye_locked (c);
      return;
    }
  handle_message_locked (c, type, payload, payload_len);
}

/* Decodes and handles every whole frame in rx. */
static void
client_process_locked (Client *c)
{
  static const guint8 bad_indicator[] = "\0" ESPY_API_BAD_INDICATOR_REASON;

  while (!c->dead && c->phase != PHASE_CLOSING && c->rx->len > 0)
    {
      EspyApiFrame frame = { 0 };
      EspyApiFrameStatus status;

      if (c->noise)
        status = espy_api_frame_decode_noise (c->rx->data, c->rx->len, ESPY_API_NOISE_MAX_BODY, &frame);
      else
        status = espy_api_frame_decode_plaintext (c->rx->data, c->rx->len, c->max_payload, &frame);

      switch (status)
        {
        case ESPY_API_FRAME_INCOMPLETE:
          return;
        case ESPY_API_FRAME_BAD_INDICATOR:
          if (c->noise)
            client_reject_locked (c, ESPY_API_BAD_INDICATOR_REASON);
          else if (c->generation == ESPY_SIM_GENERATION_2024_2)
            client_send_raw_and_close_locked (c, NULL, 0);  /* 2024 just closes */
          else
            client_send_raw_and_close_locked (c, bad_indicator, sizeof bad_indicator - 1);
          return;
        case ESPY_API_FRAME_TOO_LARGE:
        case ESPY_API_FRAME_MALFORMED:
          if (c->noise && c->phase != PHASE_DATA)
            client_reject_locked (c, "Bad handshake packet len");
          else
            client_goodbye_locked (c);
          return;
        case ESPY_API_FRAME_COMPLETE:
        default:
          break;
        }

      if (!c->noise)
        handle_message_locked (c, frame.type, frame.data, frame.len);
      else
        switch (c->phase)
          {
          case PHASE_NOISE_HELLO:
            noise_client_hello_locked (c, frame.data, frame.len);
            break;
          case PHASE_NOISE_HANDSHAKE:
            noise_handshake_locked (c, frame.data, frame.len);
            break;
          case PHASE_DATA:
            noise_data_locked (c, frame.data, frame.len);
            break;
          case PHASE_CLOSING:
          default:
            break;
          }
      if (!c->dead)
        g_byte_array_remove_range (c->rx, 0, (guint) frame.frame_len);
    }
}

/* Sources (loop thread) */

static gboolean
client_out_cb (GSocket      *socket,
               GIOCondition  condition,
               gpointer      data)
{
  Client *c = data;
  EspySimApiServer *self = c->server;

  g_mutex_lock (&self->mutex);
  if (!c->dead && c->out_source != NULL && c->out_source == g_main_current_source ())
    {
      /* This source: flush re-arms a fresh one only when still needed. */
      GSource *mine = g_steal_pointer (&c->out_source);

      if (!client_flush_locked (c))
        client_close_locked (c);
      g_source_unref (mine);
    }
  g_mutex_unlock (&self->mutex);
  return G_SOURCE_REMOVE;
}

static gboolean
client_in_cb (GSocket      *socket,
              GIOCondition  condition,
              gpointer      data)
{
  Client *c = data;
  EspySimApiServer *self = c->server;
  guint8 buf[READ_CHUNK];

  g_mutex_lock (&self->mutex);
  if (c->dead)
    {
      g_mutex_unlock (&self->mutex);
      return G_SOURCE_REMOVE;
    }

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive_with_blocking (c->socket, (char *) buf, sizeof buf, FALSE, NULL, &error);

      if (n > 0)
        {
          c->last_rx_us = g_get_monotonic_time ();
          c->ping_sent = FALSE;
          if (c->phase != PHASE_CLOSING)
            g_byte_array_append (c->rx, buf, (guint) n);
          if ((gsize) n < sizeof buf)
            break;
          continue;
        }
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      /* EOF or reset. */
      client_close_locked (c);
      break;
    }

  if (!c->dead)
    client_process_locked (c);
  if (!c->dead && c->broken)
    client_close_locked (c);
  g_mutex_unlock (&self->mutex);
  return G_SOURCE_CONTINUE;
}

static gboolean
tick_cb (gpointer data)
{
  EspySimApiServer *self = data;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&self->mutex);
  for (guint i = self->clients->len; i > 0; i--)
    {
      Client *c = g_ptr_array_index (self->clients, i - 1);
      gint64 silent = now - c->last_rx_us;

      if (c->broken || (c->shut && now >= c->linger_until))
        client_close_locked (c);
      else if (c->phase == PHASE_CLOSING)
        continue;
      else if (!c->hello_done && now - c->accepted_us >= scaled (self, HELLO_US))
        client_close_locked (c);
      else if (silent >= scaled (self, DROP_US))
        client_close_locked (c);
      else if (silent >= scaled (self, PING_US) && !c->ping_sent && c->hello_done)
        {
          EspyApi__PingRequest ping = ESPY_API__PING_REQUEST__INIT;

          c->ping_sent = TRUE;
          client_send_locked (c, &ping.base);
        }
    }
  g_mutex_unlock (&self->mutex);
  return G_SOURCE_CONTINUE;
}

static guint
max_clients_locked (EspySimApiServer *self)
{
  if (self->max_clients > 0)
    return self->max_clients;
  return platform_is (self->platform, "ESP32") ? 8 : 4;
}

static void
accept_one_locked (EspySimApiServer *self,
                   GSocket          *sock)
{
  Client *c;
  int one = 1;
  int sndbuf = SOCKET_SNDBUF;
  int fd = g_socket_get_fd (sock);

  g_socket_set_blocking (sock, FALSE);
  if (self->clients->len >= max_clients_locked (self))
    {
      /* A full device accepts and closes at once. */
      g_socket_close (sock, NULL);
      return;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  c = g_atomic_rc_box_new0 (Client);
  c->server = g_object_ref (self);
  c->socket = g_object_ref (sock);
  c->rx = g_byte_array_new ();
  c->tx = g_byte_array_new ();
  c->noise = self->have_key;
  c->phase = c->noise ? PHASE_NOISE_HELLO : PHASE_DATA;
  c->generation = self->generation;
  c->max_payload = platform_is (self->platform, "ESP8266") ? ESPY_API_ESP8266_MAX_PAYLOAD
                                                           : ESPY_API_DEVICE_MAX_PAYLOAD;
  c->accepted_us = c->last_rx_us = g_get_monotonic_time ();
  c->in_source = g_socket_create_source (sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (c->in_source, (GSourceFunc) (GCallback) client_in_cb,
                         g_atomic_rc_box_acquire (c), client_unref);
  g_source_set_static_name (c->in_source, "[espy-sim-api] client");
  g_source_attach (c->in_source, self->context);
  g_ptr_array_add (self->clients, c);
}

static gboolean
listener_cb (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  EspySimApiServer *self = data;

  g_mutex_lock (&self->mutex);
  while (self->running)
    {
      g_autoptr(GSocket) sock = g_socket_accept (socket, NULL, NULL);

      if (sock == NULL)
        break;
      accept_one_locked (self, sock);
    }
  g_mutex_unlock (&self->mutex);
  return G_SOURCE_CONTINUE;
}

static GSocket *
listen_on (const char  *address,
           guint16      port,
           GError     **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (inet, port);
  g_autoptr(GSocket) sock = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, error);

  if (sock == NULL)
    return NULL;
  /* Our port again right after a reboot, with old connections in TIME_WAIT. */
  if (!g_socket_bind (sock, addr, TRUE, error) || !g_socket_listen (sock, error))
    return NULL;
  g_socket_set_blocking (sock, FALSE);
  return g_steal_pointer (&sock);
}

static void
add_listener_locked (EspySimApiServer *self,
                     GSocket          *sock)
{
  GSource *source = g_socket_create_source (sock, G_IO_IN, NULL);

  g_source_set_callback (source, (GSourceFunc) (GCallback) listener_cb, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[espy-sim-api] accept");
  g_source_attach (source, self->context);
  g_ptr_array_add (self->sources, source);
  g_ptr_array_add (self->listeners, sock);
}

gboolean
espy_sim_api_server_start (EspySimApiServer  *self,
                           GMainContext      *context,
                           GError           **error)
{
  g_autoptr(GSocket) v4 = NULL;
  GSocket *v6;
  guint tick_ms;

  g_return_val_if_fail (ESPY_IS_SIM_API_SERVER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->mutex);
  if (self->running)
    {
      g_mutex_unlock (&self->mutex);
      g_set_error (error, ESPY_SIM_API_SERVER_ERROR, ESPY_SIM_API_SERVER_ERROR_RUNNING,
                   "The API server of %s is already running", self->name);
      return FALSE;
    }
  v4 = listen_on ("127.0.0.1", self->port, error);
  if (v4 == NULL)
    {
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }
  if (self->port == 0)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (v4, error);

      if (local == NULL)
        {
          g_mutex_unlock (&self->mutex);
          return FALSE;
        }
      self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  /* ::1 is a bonus: hosts without IPv6 do without. */
  v6 = listen_on ("::1", self->port, NULL);

  /* A key given over the API takes effect at boot. */
  if (self->have_pending_key)
    {
      memcpy (self->psk, self->pending_psk, sizeof self->psk);
      self->have_key = TRUE;
      self->have_pending_key = FALSE;
      explicit_bzero (self->pending_psk, sizeof self->pending_psk);
    }

  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->running = TRUE;
  self->dropped = 0;
  add_listener_locked (self, g_steal_pointer (&v4));
  if (v6 != NULL)
    add_listener_locked (self, v6);
  /* Fine enough for the shortest scaled timer, rare enough for 1000 devices. */
  tick_ms = (guint) CLAMP (scaled (self, PING_US) / 10 / 1000, 20, 1000);
  self->tick = g_timeout_source_new (tick_ms);
  g_source_set_callback (self->tick, tick_cb, g_object_ref (self), g_object_unref);
  g_source_set_static_name (self->tick, "[espy-sim-api] tick");
  g_source_attach (self->tick, self->context);
  g_mutex_unlock (&self->mutex);
  return TRUE;
}

void
espy_sim_api_server_stop (EspySimApiServer *self)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));

  /* Sources hold references: keep ours while they go. */
  g_object_ref (self);
  g_mutex_lock (&self->mutex);
  if (self->running)
    {
      self->running = FALSE;
      while (self->clients->len > 0)
        client_close_locked (g_ptr_array_index (self->clients, self->clients->len - 1));
      for (guint i = 0; i < self->sources->len; i++)
        g_source_destroy (g_ptr_array_index (self->sources, i));
      g_ptr_array_set_size (self->sources, 0);
      /* Shut down first: a listener that another thread still polls
       * would go on accepting after close() until that poll returns. */
      for (guint i = 0; i < self->listeners->len; i++)
        {
          g_socket_shutdown (g_ptr_array_index (self->listeners, i), TRUE, TRUE, NULL);
          g_socket_close (g_ptr_array_index (self->listeners, i), NULL);
        }
      g_ptr_array_set_size (self->listeners, 0);
      destroy_source (&self->tick);
      g_clear_pointer (&self->context, g_main_context_unref);
    }
  g_mutex_unlock (&self->mutex);
  g_object_unref (self);
}

gboolean
espy_sim_api_server_is_running (EspySimApiServer *self)
{
  gboolean running;

  g_return_val_if_fail (ESPY_IS_SIM_API_SERVER (self), FALSE);
  g_mutex_lock (&self->mutex);
  running = self->running;
  g_mutex_unlock (&self->mutex);
  return running;
}

guint16
espy_sim_api_server_get_port (EspySimApiServer *self)
{
  guint16 port;

  g_return_val_if_fail (ESPY_IS_SIM_API_SERVER (self), 0);
  g_mutex_lock (&self->mutex);
  port = self->port;
  g_mutex_unlock (&self->mutex);
  return port;
}

guint
espy_sim_api_server_get_client_count (EspySimApiServer *self)
{
  guint count;

  g_return_val_if_fail (ESPY_IS_SIM_API_SERVER (self), 0);
  g_mutex_lock (&self->mutex);
  count = self->clients->len;
  g_mutex_unlock (&self->mutex);
  return count;
}

guint
espy_sim_api_server_get_log_subscribers (EspySimApiServer *self,
                                         EspyApiLogLevel   level)
{
  guint count = 0;

  g_return_val_if_fail (ESPY_IS_SIM_API_SERVER (self), 0);
  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->clients->len; i++)
    {
      Client *c = g_ptr_array_index (self->clients, i);

      if (c->subscribed && c->log_level >= level && c->phase == PHASE_DATA)
        count++;
    }
  g_mutex_unlock (&self->mutex);
  return count;
}

guint64
espy_sim_api_server_get_dropped_lines (EspySimApiServer *self)
{
  guint64 dropped;

  g_return_val_if_fail (ESPY_IS_SIM_API_SERVER (self), 0);
  g_mutex_lock (&self->mutex);
  dropped = self->dropped;
  g_mutex_unlock (&self->mutex);
  return dropped;
}

void
espy_sim_api_server_emit_log (EspySimApiServer *self,
                              EspyApiLogLevel   level,
                              const char       *line)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  g_return_if_fail (line != NULL);

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->clients->len; i++)
    {
      Client *c = g_ptr_array_index (self->clients, i);

      if (c->subscribed && level <= c->log_level)
        send_log_locked (c, level, line, TRUE);
    }
  g_mutex_unlock (&self->mutex);
}

void
espy_sim_api_server_send_disconnect (EspySimApiServer *self)
{
  EspyApi__DisconnectRequest bye = ESPY_API__DISCONNECT_REQUEST__INIT;

  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->clients->len; i++)
    {
      Client *c = g_ptr_array_index (self->clients, i);

      if (c->hello_done)
        client_send_locked (c, &bye.base);
    }
  g_mutex_unlock (&self->mutex);
}

/* Log line format */

static const struct {
  char level;
  EspyApiLogLevel api_level;
  const char *colour;
} log_levels[] = {
  { 'E', ESPY_API_LOG_LEVEL_ERROR, "\033[1;31m" },
  { 'W', ESPY_API_LOG_LEVEL_WARN, "\033[0;33m" },
  { 'I', ESPY_API_LOG_LEVEL_INFO, "\033[0;32m" },
  { 'C', ESPY_API_LOG_LEVEL_CONFIG, "\033[0;35m" },
  { 'D', ESPY_API_LOG_LEVEL_DEBUG, "\033[0;36m" },
  { 'V', ESPY_API_LOG_LEVEL_VERBOSE, "\033[0;37m" },
  { 'v', ESPY_API_LOG_LEVEL_VERY_VERBOSE, "\033[0;38m" },
};

EspyApiLogLevel
espy_sim_log_level_from_letter (char level)
{
  for (guint i = 0; i < G_N_ELEMENTS (log_levels); i++)
    if (log_levels[i].level == level)
      return log_levels[i].api_level;
  return ESPY_API_LOG_LEVEL_NONE;
}

char *
espy_sim_format_log_line_task (char        level,
                               const char *tag,
                               guint       line,
                               const char *task,
                               const char *text)
{
  g_return_val_if_fail (tag != NULL && text != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (log_levels); i++)
    if (log_levels[i].level == level)
      {
        const char *colour = log_levels[i].colour;
        char letters[3] = { level, '\0', '\0' };

        if (level == 'v')
          letters[0] = letters[1] = 'V';

        if (task != NULL)
          return g_strdup_printf ("%s[%s][%s:%03u]\033[1;31m[%s]%s: %s\033[0m", colour, letters, tag, line,
                                  task, colour, text);
        return g_strdup_printf ("%s[%s][%s:%03u]: %s\033[0m", colour, letters, tag, line, text);
      }
  g_return_val_if_reached (NULL);
}

/* Configuration */

#define SET_STRING(field, value)            \
  G_STMT_START {                            \
    g_mutex_lock (&self->mutex);            \
    g_free (self->field);                   \
    self->field = g_strdup (value);         \
    g_mutex_unlock (&self->mutex);          \
  } G_STMT_END

#define SET_VALUE(field, value)             \
  G_STMT_START {                            \
    g_mutex_lock (&self->mutex);            \
    self->field = (value);                  \
    g_mutex_unlock (&self->mutex);          \
  } G_STMT_END

void
espy_sim_api_server_set_friendly_name (EspySimApiServer *self,
                                       const char       *friendly_name)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  SET_STRING (friendly_name, friendly_name);
}

static char *
normalize_mac (const char *mac)
{
  GString *hex = g_string_new (NULL);

  for (const char *p = mac; *p != '\0'; p++)
    if (g_ascii_isxdigit (*p))
      g_string_append_c (hex, g_ascii_tolower (*p));
  if (hex->len != 12)
    {
      g_string_free (hex, TRUE);
      return NULL;
    }
  return g_string_free (hex, FALSE);
}

static char *
default_mac (const char *name)
{
  /* The same made-up MAC as EspySimPublisher's, in Espressif's range. */
  return g_strdup_printf ("c8c9a3%06x", g_str_hash (name) & 0xffffff);
}

void
espy_sim_api_server_set_mac (EspySimApiServer *self,
                             const char       *mac)
{
  char *normal;

  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));

  normal = mac != NULL ? normalize_mac (mac) : default_mac (self->name);
  g_return_if_fail (normal != NULL);
  g_mutex_lock (&self->mutex);
  g_free (self->mac);
  self->mac = normal;
  g_mutex_unlock (&self->mutex);
}

const char *
espy_sim_api_server_get_mac (EspySimApiServer *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_API_SERVER (self), NULL);
  return self->mac;
}

void
espy_sim_api_server_set_platform (EspySimApiServer *self,
                                  const char       *platform)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  SET_STRING (platform, platform != NULL ? platform : "ESP32");
}

void
espy_sim_api_server_set_board (EspySimApiServer *self,
                               const char       *board)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  SET_STRING (board, board);
}

void
espy_sim_api_server_set_version (EspySimApiServer *self,
                                 const char       *esphome_version)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  g_return_if_fail (esphome_version != NULL);
  SET_STRING (version, esphome_version);
}

void
espy_sim_api_server_set_compilation_time (EspySimApiServer *self,
                                          const char       *compilation_time)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  g_return_if_fail (compilation_time != NULL);
  SET_STRING (compilation_time, compilation_time);
}

void
espy_sim_api_server_set_generation (EspySimApiServer  *self,
                                    EspySimGeneration  generation)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  g_return_if_fail (generation <= ESPY_SIM_GENERATION_2026_1);
  SET_VALUE (generation, generation);
}

void
espy_sim_api_server_set_project (EspySimApiServer *self,
                                 const char       *project_name,
                                 const char       *project_version)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  SET_STRING (project_name, project_name);
  SET_STRING (project_version, project_name != NULL ? project_version : NULL);
}

void
espy_sim_api_server_set_webserver_port (EspySimApiServer *self,
                                        guint16           port)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  SET_VALUE (web_port, port);
}

gboolean
espy_sim_api_server_set_key (EspySimApiServer  *self,
                             const char        *key,
                             GError           **error)
{
  guint8 psk[ESPY_NOISE_KEY_LEN];
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (ESPY_IS_SIM_API_SERVER (self), FALSE);

  if (key == NULL)
    {
      g_mutex_lock (&self->mutex);
      self->have_key = FALSE;
      explicit_bzero (self->psk, sizeof self->psk);
      g_mutex_unlock (&self->mutex);
      return TRUE;
    }
  if (!espy_api_parse_key (key, psk, &local_error))
    {
      g_set_error_literal (error, ESPY_SIM_API_SERVER_ERROR, ESPY_SIM_API_SERVER_ERROR_INVALID_KEY,
                           local_error->message);
      return FALSE;
    }
  g_mutex_lock (&self->mutex);
  memcpy (self->psk, psk, sizeof psk);
  self->have_key = TRUE;
  g_mutex_unlock (&self->mutex);
  explicit_bzero (psk, sizeof psk);
  return TRUE;
}

gboolean
espy_sim_api_server_get_encrypted (EspySimApiServer *self)
{
  gboolean have_key;

  g_return_val_if_fail (ESPY_IS_SIM_API_SERVER (self), FALSE);
  g_mutex_lock (&self->mutex);
  have_key = self->have_key;
  g_mutex_unlock (&self->mutex);
  return have_key;
}

void
espy_sim_api_server_set_password (EspySimApiServer *self,
                                  const char       *password)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  g_mutex_lock (&self->mutex);
  espy_secret_string_set (&self->password, password);
  g_mutex_unlock (&self->mutex);
}

void
espy_sim_api_server_set_timeout_scale (EspySimApiServer *self,
                                       guint             percent)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  SET_VALUE (timeout_scale, percent);
}

void
espy_sim_api_server_set_port (EspySimApiServer *self,
                              guint16           port)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  SET_VALUE (port, port);
}

void
espy_sim_api_server_set_max_clients (EspySimApiServer *self,
                                     guint             max_clients)
{
  g_return_if_fail (ESPY_IS_SIM_API_SERVER (self));
  SET_VALUE (max_clients, max_clients);
}

/* GObject */

static void
espy_sim_api_server_finalize (GObject *object)
{
  EspySimApiServer *self = ESPY_SIM_API_SERVER (object);

  /* Running sources hold references: a running server is never finalized. */
  g_free (self->name);
  g_free (self->friendly_name);
  g_free (self->mac);
  g_free (self->platform);
  g_free (self->board);
  g_free (self->version);
  g_free (self->compilation_time);
  g_free (self->project_name);
  g_free (self->project_version);
  espy_secret_string_clear (&self->password);
  explicit_bzero (self->psk, sizeof self->psk);
  explicit_bzero (self->pending_psk, sizeof self->pending_psk);
  g_ptr_array_unref (self->clients);
  g_ptr_array_unref (self->sources);
  g_ptr_array_unref (self->listeners);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (espy_sim_api_server_parent_class)->finalize (object);
}

static void
espy_sim_api_server_class_init (EspySimApiServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = espy_sim_api_server_finalize;
}

static void
espy_sim_api_server_init (EspySimApiServer *self)
{
  g_mutex_init (&self->mutex);
  self->platform = g_strdup ("ESP32");
  self->board = g_strdup ("esp32dev");
  self->version = g_strdup ("2025.10.3");
  self->compilation_time = g_strdup ("Oct 20 2025, 10:00:00");
  self->generation = ESPY_SIM_GENERATION_2025_10;
  self->timeout_scale = 100;
  self->clients = g_ptr_array_new_with_free_func (client_unref);
  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  self->listeners = g_ptr_array_new_with_free_func (g_object_unref);
}

EspySimApiServer *
espy_sim_api_server_new (const char *name)
{
  EspySimApiServer *self;

  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  self = g_object_new (ESPY_TYPE_SIM_API_SERVER, NULL);
  self->name = g_strdup (name);
  self->mac = default_mac (name);
  return self;
}
