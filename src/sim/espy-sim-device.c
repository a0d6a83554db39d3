/* espy-sim-device.c: one simulated ESPHome device, the device side of the
 * native OTA protocol (wire doc section 1) for each firmware generation.
 *
 * Each accepted connection and each listening socket gets a task in a
 * thread pool that does blocking, cancellable socket I/O, as the device's
 * own loop does. Everything works without the caller's main loop running
 * (a test may block on a child process that uploads to us); only the
 * signals wait for that main context.
 *
 * The native API and the log generator run on the device's "main loop", a
 * thread of its own with its own GMainContext: an OTA data phase blocks it
 * as it blocks a real device's loop. The web server (EspySimWebServer) has
 * its own thread; its /update reboots through the same path as an OTA.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "espy-sim-device.h"
#include "espy-sim-api-server.h"
#include "espy-sim-private.h"
#include "espy-sim-web-server.h"
#include "espy-api-client.h"
#include "espy-ota-protocol.h"
#include "espy-secret-string.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <zlib.h>

#define MIB               (1024 * 1024)
/* The device reads at most this much per call into its buffer. */
#define READ_CHUNK        1024
#define GARBAGE_BYTE      0x5A
/* After the last byte, let the client read it before the socket goes:
 * closing with unread input would reset the connection and could drop it. */
#define LINGER_US         (250 * G_TIME_SPAN_MILLISECOND)
#define REBOOT_DELAY_US   (100 * G_TIME_SPAN_MILLISECOND)
#define SHORT_TIMEOUT_US  (1 * G_TIME_SPAN_SECOND)
#define HANDSHAKE_US      (20 * G_TIME_SPAN_SECOND)
#define DATA_TIMEOUT_US   (90 * G_TIME_SPAN_SECOND)
/* A gzip bomb must not eat the test machine. */
#define MAX_INFLATED      (64u * MIB)
/* Generated log lines per tick at most: "as fast as it can" stays bounded. */
#define MAX_LOG_PER_TICK  2000

typedef struct {
  EspySimStep step;
  EspySimFaultKind kind;
  guint8 error_byte;
} Fault;

/* Carries signals from the pool to the main context. owner is touched only
 * on that context; stop() clears it so late events are dropped. */
typedef struct {
  EspySimDevice *owner;
} Notifier;

struct _EspySimDevice
{
  GObject parent_instance;

  char *name;

  /* Everything below is guarded by mutex. */
  GMutex mutex;
  GCond cond;

  char *friendly_name;
  char *platform;
  char *board;
  char *password;
  const char *version;           /* interned: getters may hand them out */
  const char *compilation_time;  /* interned */
  EspySimGeneration generation;
  guint ota_version;
  guint16 ota_port;
  guint64 flash_rate;
  guint erase_ms_per_mib;
  guint boot_ms;
  guint timeout_scale;
  gsize max_image_size;
  GArray *faults;

  EspySimState state;
  GThreadPool *pool;
  GCancellable *cancellable;         /* sessions of this run */
  GCancellable *listen_cancellable;  /* accept loops of this boot */
  GMainContext *context;
  Notifier *notifier;
  gboolean stopping;
  gboolean busy;                     /* an OTA session is being served */
  GQueue waiting;                    /* session Jobs in accept order */
  guint boot_id;
  guint n_accepting;
  guint upload_count;
  guint connection_count;
  GBytes *last_image;
  GBytes *prev_image;                /* keeps the previous pointer valid a while */

  /* Native API and web server configuration. */
  gboolean api_enabled;
  guint16 api_port;
  char *api_key;                     /* validated base64 PSK */
  char *api_password;
  char *mac;                         /* 12 lowercase hex digits */
  char *project_name;
  char *project_version;
  double log_rate;
  gboolean web_enabled;
  guint16 web_port;
  char *web_user;
  char *web_password;
  EspySimWebFlavour web_flavour;
  gboolean web_ota;

  /* While running: the servers live from start() to stop(); a reboot only
   * stops and starts them. */
  EspySimApiServer *api;
  EspySimWebServer *web;
  GMainContext *loop_context;        /* the device's main loop */
  GMainLoop *loop;
  GThread *loop_thread;
  GSource *log_source;
  gint64 log_start;
  guint64 log_emitted;
  guint64 log_seq;
  gboolean stalled;                  /* an OTA data phase holds the main loop */
};

G_DEFINE_FINAL_TYPE (EspySimDevice, espy_sim_device, G_TYPE_OBJECT)

enum {
  SIGNAL_STATE_CHANGED,
  SIGNAL_UPLOAD_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  gboolean accept;
  GSocket *socket;
  GCancellable *cancellable;
  guint boot_id;
  GBytes *web_image;     /* a successful web_server /update: reboot into it */
} Job;

typedef enum {
  IO_OK,
  IO_TIMEOUT,
  IO_CLOSED,
  IO_CANCELLED,
} IoResult;

typedef struct {
  EspySimDevice *self;
  GSocket *socket;
  GCancellable *cancellable;

  /* A copy of the configuration, so setters never race a session. */
  EspySimGeneration generation;
  guint ota_version;
  char *platform;
  char *password;
  guint64 flash_rate;
  guint erase_ms_per_mib;
  guint timeout_scale;
  gsize max_image_size;
  GArray *faults;

  gint64 handshake_deadline;
  guint progress_decile;
  gboolean got_bytes;
  gboolean stall;
  guint8 code;           /* last byte sent when the session failed */
  gboolean compressed;   /* the device answered 0x46 */
  GBytes *image;         /* decompressed, on success */
} Session;

static gboolean listen_locked (EspySimDevice  *self,
                               GError        **error);
static void     device_log    (EspySimDevice  *self,
                               char            level,
                               const char     *tag,
                               guint           line,
                               const char     *task,
                               const char     *text);
static void     loop_stall    (EspySimDevice  *self,
                               gboolean        stall);

/* Events to the main context */

typedef struct {
  Notifier *notifier;
  gboolean is_state;
  EspySimState state;
  gboolean ok;
  guint8 code;
} Event;

static void
event_free (gpointer data)
{
  Event *ev = data;

  g_atomic_rc_box_release (ev->notifier);
  g_free (ev);
}

static gboolean
event_dispatch (gpointer data)
{
  Event *ev = data;
  g_autoptr(EspySimDevice) owner = NULL;

  if (ev->notifier->owner == NULL)
    return G_SOURCE_REMOVE;
  /* A handler may drop the last reference. */
  owner = g_object_ref (ev->notifier->owner);
  if (ev->is_state)
    g_signal_emit (owner, signals[SIGNAL_STATE_CHANGED], 0, (guint) ev->state);
  else
    g_signal_emit (owner, signals[SIGNAL_UPLOAD_FINISHED], 0, ev->ok, ev->code);
  return G_SOURCE_REMOVE;
}

static void
post_locked (EspySimDevice *self,
             Event         *ev)
{
  GSource *source;

  ev->notifier = g_atomic_rc_box_acquire (self->notifier);
  /* An explicit idle source: g_main_context_invoke() would run the
   * callback right here when the main thread is not iterating. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, event_dispatch, ev, event_free);
  g_source_set_static_name (source, "[espy-sim] event");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static void
set_state_locked (EspySimDevice *self,
                  EspySimState   state)
{
  Event *ev;

  if (self->state == state)
    return;
  self->state = state;
  ev = g_new0 (Event, 1);
  ev->is_state = TRUE;
  ev->state = state;
  post_locked (self, ev);
}

static void
post_upload_finished (EspySimDevice *self,
                      gboolean       ok,
                      guint8         code)
{
  Event *ev = g_new0 (Event, 1);

  ev->ok = ok;
  ev->code = code;
  g_mutex_lock (&self->mutex);
  post_locked (self, ev);
  g_mutex_unlock (&self->mutex);
}

/* Waits until END (monotonic) unless the device stops; FALSE if it did. */
static gboolean
sleep_until (EspySimDevice *self,
             gint64         end)
{
  gboolean running;

  g_mutex_lock (&self->mutex);
  while (!self->stopping && g_get_monotonic_time () < end)
    g_cond_wait_until (&self->cond, &self->mutex, end);
  running = !self->stopping;
  g_mutex_unlock (&self->mutex);
  return running;
}

/* Socket I/O with deadlines (monotonic µs, -1 = none) */

static IoResult
io_wait (Session      *s,
         GIOCondition  condition,
         gint64        deadline)
{
  g_autoptr(GError) error = NULL;
  gint64 timeout = -1;

  if (deadline >= 0)
    {
      timeout = deadline - g_get_monotonic_time ();
      if (timeout <= 0)
        return IO_TIMEOUT;
    }
  if (g_socket_condition_timed_wait (s->socket, condition, timeout, s->cancellable, &error))
    return IO_OK;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return IO_CANCELLED;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return IO_TIMEOUT;
  return IO_CLOSED;
}

static IoResult
read_some (Session *s,
           guint8  *buf,
           gsize    max,
           gint64   deadline,
           gsize   *n_read)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      IoResult r = io_wait (s, G_IO_IN, deadline);
      gssize n;

      if (r != IO_OK)
        return r;
      n = g_socket_receive_with_blocking (s->socket, (char *) buf, max, FALSE, s->cancellable, &error);
      if (n > 0)
        {
          s->got_bytes = TRUE;
          *n_read = n;
          return IO_OK;
        }
      if (n == 0)
        return IO_CLOSED;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        continue;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return IO_CANCELLED;
      return IO_CLOSED;
    }
}

static IoResult
read_exact (Session *s,
            guint8  *buf,
            gsize    len,
            gint64   deadline)
{
  gsize done = 0;

  while (done < len)
    {
      gsize n = 0;
      IoResult r = read_some (s, buf + done, len - done, deadline, &n);

      if (r != IO_OK)
        return r;
      done += n;
    }
  return IO_OK;
}

static IoResult
write_all (Session      *s,
           const guint8 *buf,
           gsize         len)
{
  /* The device's writes are a byte or a nonce: they never wait long, but a
   * client that reads nothing must not hold a session forever. */
  gint64 deadline = g_get_monotonic_time () + DATA_TIMEOUT_US;
  gsize done = 0;

  while (done < len)
    {
      g_autoptr(GError) error = NULL;
      IoResult r = io_wait (s, G_IO_OUT, deadline);
      gssize n;

      if (r != IO_OK)
        return r;
      n = g_socket_send_with_blocking (s->socket, (const char *) buf + done, len - done, FALSE,
                                       s->cancellable, &error);
      if (n > 0)
        {
          done += n;
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        continue;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return IO_CANCELLED;
      return IO_CLOSED;
    }
  return IO_OK;
}

static IoResult
send_byte (Session *s,
           guint8   byte)
{
  return write_all (s, &byte, 1);
}

/* Sends an error byte and ends the session with it. */
static gboolean
fail_with (Session *s,
           guint8   byte)
{
  send_byte (s, byte);
  s->code = byte;
  return FALSE;
}

/* Ends the session without a byte. */
static gboolean
fail_silently (Session *s)
{
  s->code = 0x00;
  return FALSE;
}

static gint64
scaled_deadline (Session *s,
                 gint64   base_us)
{
  gint64 us = base_us * (gint64) s->timeout_scale / 100;

  return g_get_monotonic_time () + MAX (us, G_TIME_SPAN_MILLISECOND);
}

static gboolean
is_2024 (Session *s)
{
  return s->generation == ESPY_SIM_GENERATION_2024_2;
}

/* 2024: 1 s for each step; newer: one deadline for the whole handshake. */
static gint64
handshake_deadline (Session *s)
{
  return is_2024 (s) ? scaled_deadline (s, SHORT_TIMEOUT_US) : s->handshake_deadline;
}

static gboolean
handshake_read (Session *s,
                guint8  *buf,
                gsize    len)
{
  IoResult r = read_exact (s, buf, len, handshake_deadline (s));

  if (r == IO_OK)
    return TRUE;
  if (r == IO_CANCELLED)
    return fail_silently (s);
  /* 2024 reports a failed read with its pending code; 2025.10+ closes. */
  if (is_2024 (s))
    return fail_with (s, ESPY_OTA_RESPONSE_ERROR_UNKNOWN);
  return fail_silently (s);
}

static gboolean
platform_is (Session    *s,
             const char *prefix)
{
  return s->platform != NULL && g_ascii_strncasecmp (s->platform, prefix, strlen (prefix)) == 0;
}

static gboolean
platform_is_esp8266 (Session *s)
{
  return s->platform != NULL && g_ascii_strcasecmp (s->platform, "ESP8266") == 0;
}

static guint8
not_enough_space_code (Session *s)
{
  if (platform_is_esp8266 (s))
    return ESPY_OTA_RESPONSE_ERROR_ESP8266_NOT_ENOUGH_SPACE;
  if (platform_is (s, "RP2040"))
    return ESPY_OTA_RESPONSE_ERROR_RP2040_NOT_ENOUGH_SPACE;
  return ESPY_OTA_RESPONSE_ERROR_ESP32_NOT_ENOUGH_SPACE;
}

/* Fires the fault configured for STEP, if any: TRUE means the session is
 * over (the fault replaced the device's answer). */
static gboolean
fire_fault (Session     *s,
            EspySimStep  step)
{
  const Fault *fault = NULL;

  for (guint i = 0; i < s->faults->len; i++)
    if (g_array_index (s->faults, Fault, i).step == step)
      {
        fault = &g_array_index (s->faults, Fault, i);
        break;
      }
  if (fault == NULL)
    return FALSE;

  switch (fault->kind)
    {
    case ESPY_SIM_FAULT_ERROR:
      fail_with (s, fault->error_byte);
      break;
    case ESPY_SIM_FAULT_GARBAGE:
      fail_with (s, GARBAGE_BYTE);
      break;
    case ESPY_SIM_FAULT_STALL:
      s->stall = TRUE;
      fail_silently (s);
      break;
    case ESPY_SIM_FAULT_CLOSE:
    default:
      fail_silently (s);
      break;
    }
  return TRUE;
}

/* Steps 1 to 5 of the exchange. */
static gboolean
serve_handshake (Session *s)
{
  guint8 magic[ESPY_OTA_MAGIC_LEN];
  guint8 hello[2] = { ESPY_OTA_RESPONSE_OK, 0 };
  guint8 features;
  gboolean have_password = s->password != NULL && *s->password != '\0';
  EspyOtaHash hash = ESPY_OTA_HASH_MD5;
  gsize hex_len;
  g_autofree char *nonce = NULL;
  g_autofree char *cnonce = NULL;
  g_autofree char *response = NULL;
  g_autofree char *expected = NULL;
  guint8 request;
  gboolean match;

  if (!handshake_read (s, magic, sizeof magic))
    return FALSE;
  if (fire_fault (s, ESPY_SIM_STEP_MAGIC))
    return FALSE;
  if (memcmp (magic, espy_ota_magic, ESPY_OTA_MAGIC_LEN) != 0)
    return fail_with (s, ESPY_OTA_RESPONSE_ERROR_MAGIC);
  hello[1] = (guint8) s->ota_version;
  if (write_all (s, hello, sizeof hello) != IO_OK)
    return fail_silently (s);

  if (!handshake_read (s, &features, 1))
    return FALSE;
  if (fire_fault (s, ESPY_SIM_STEP_FEATURES))
    return FALSE;
  /* 0x04/0x08 are ignored: no extended protocol here, so never 0x48. */
  s->compressed = platform_is_esp8266 (s) && (features & ESPY_OTA_FEATURE_COMPRESSION);
  if (send_byte (s, s->compressed ? ESPY_OTA_RESPONSE_SUPPORTS_COMPRESSION
                                  : ESPY_OTA_RESPONSE_HEADER_OK) != IO_OK)
    return fail_silently (s);

  if (!have_password)
    {
      if (fire_fault (s, ESPY_SIM_STEP_AUTH))
        return FALSE;
      return send_byte (s, ESPY_OTA_RESPONSE_AUTH_OK) == IO_OK || fail_silently (s);
    }

  switch (s->generation)
    {
    case ESPY_SIM_GENERATION_2025_10:
      if (features & ESPY_OTA_FEATURE_SHA256_AUTH)
        hash = ESPY_OTA_HASH_SHA256;
      break;
    case ESPY_SIM_GENERATION_2026_1:
      if (!(features & ESPY_OTA_FEATURE_SHA256_AUTH))
        {
          if (fire_fault (s, ESPY_SIM_STEP_AUTH))
            return FALSE;
          return fail_with (s, ESPY_OTA_RESPONSE_ERROR_AUTH_INVALID);
        }
      hash = ESPY_OTA_HASH_SHA256;
      break;
    case ESPY_SIM_GENERATION_2024_2:
    default:
      break;
    }

  hex_len = espy_ota_hash_hex_len (hash);
  nonce = espy_ota_random_nonce (hash);
  request = hash == ESPY_OTA_HASH_SHA256 ? ESPY_OTA_RESPONSE_REQUEST_SHA256_AUTH
                                         : ESPY_OTA_RESPONSE_REQUEST_AUTH;
  if (send_byte (s, request) != IO_OK || write_all (s, (const guint8 *) nonce, hex_len) != IO_OK)
    return fail_silently (s);

  cnonce = g_malloc0 (hex_len + 1);
  response = g_malloc0 (hex_len + 1);
  if (!handshake_read (s, (guint8 *) cnonce, hex_len) ||
      !handshake_read (s, (guint8 *) response, hex_len))
    return FALSE;

  if (fire_fault (s, ESPY_SIM_STEP_AUTH))
    return FALSE;
  /* The device hashes the cnonce text as received. */
  expected = espy_ota_auth_response (hash, s->password, nonce, cnonce);
  if (is_2024 (s))
    match = memcmp (expected, response, hex_len) == 0;  /* ASCII exact: uppercase fails */
  else
    match = g_ascii_strncasecmp (expected, response, hex_len) == 0;
  if (!match)
    return fail_with (s, ESPY_OTA_RESPONSE_ERROR_AUTH_INVALID);
  return send_byte (s, ESPY_OTA_RESPONSE_AUTH_OK) == IO_OK || fail_silently (s);
}

/* Incremental inflate of a gzip upload (ESP8266 compressed mode). */
typedef struct {
  z_stream z;
  gboolean initialized;
  gboolean done;
  gboolean failed;
  GByteArray *out;
} Inflater;

static void
inflater_feed (Inflater     *inf,
               const guint8 *data,
               gsize         len)
{
  guint8 chunk[16384];

  if (inf->done || inf->failed)
    return;
  inf->z.next_in = (Bytef *) data;
  inf->z.avail_in = (uInt) len;
  while (inf->z.avail_in > 0 && !inf->done)
    {
      int ret;

      inf->z.next_out = chunk;
      inf->z.avail_out = sizeof chunk;
      ret = inflate (&inf->z, Z_NO_FLUSH);
      if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
        {
          inf->failed = TRUE;
          return;
        }
      g_byte_array_append (inf->out, chunk, sizeof chunk - inf->z.avail_out);
      if (ret == Z_STREAM_END)
        inf->done = TRUE;
      else if (ret == Z_BUF_ERROR && inf->z.avail_out == sizeof chunk)
        break;
      if (inf->out->len > MAX_INFLATED)
        {
          inf->failed = TRUE;
          return;
        }
    }
}

/* Steps 7 to 11. */
static gboolean
serve_update (Session *s)
{
  EspySimDevice *self = s->self;
  guint8 buf[READ_CHUNK];
  guint32 size;
  char md5_hex[33] = { 0 };
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  g_autoptr(GByteArray) raw = NULL;
  Inflater inf = { 0 };
  gboolean check_magic;
  gboolean gzip = FALSE;
  guint64 received = 0;
  guint64 acked = 0;
  guint block = 0;
  guint fault_block;
  gint64 data_start;
  IoResult r;
  gboolean ok = FALSE;

  r = read_exact (s, buf, 4, scaled_deadline (s, is_2024 (s) ? SHORT_TIMEOUT_US : DATA_TIMEOUT_US));
  if (r == IO_CANCELLED)
    return fail_silently (s);
  if (r != IO_OK)
    return fail_with (s, ESPY_OTA_RESPONSE_ERROR_UNKNOWN);  /* pending code before prepare */
  size = ((guint32) buf[0] << 24) | ((guint32) buf[1] << 16) | ((guint32) buf[2] << 8) | buf[3];

  if (fire_fault (s, ESPY_SIM_STEP_PREPARE))
    return FALSE;
  if (size == 0)
    return fail_with (s, ESPY_OTA_RESPONSE_ERROR_UPDATE_PREPARE);
  if (s->max_image_size > 0 && size > s->max_image_size)
    return fail_with (s, not_enough_space_code (s));
  if (s->erase_ms_per_mib > 0 &&
      !sleep_until (self, g_get_monotonic_time () +
                    (gint64) ((guint64) s->erase_ms_per_mib * size * 1000 / MIB)))
    return fail_silently (s);
  if (send_byte (s, ESPY_OTA_RESPONSE_UPDATE_PREPARE_OK) != IO_OK)
    return fail_silently (s);

  /* From here the device's pending error code is 0x00. */
  r = read_exact (s, (guint8 *) md5_hex, 32, scaled_deadline (s, is_2024 (s) ? SHORT_TIMEOUT_US
                                                                              : DATA_TIMEOUT_US));
  if (r == IO_CANCELLED)
    return fail_silently (s);
  if (r != IO_OK)
    return fail_with (s, ESPY_OTA_RESPONSE_OK);
  if (fire_fault (s, ESPY_SIM_STEP_MD5))
    return FALSE;
  if (send_byte (s, ESPY_OTA_RESPONSE_BIN_MD5_OK) != IO_OK)
    return fail_silently (s);

  /* The data phase holds the whole main loop: no API answers, no pings. */
  loop_stall (self, TRUE);

  check_magic = platform_is (s, "ESP32") || platform_is_esp8266 (s);
  fault_block = (espy_ota_ack_count (size) + 1) / 2;
  raw = g_byte_array_sized_new (MIN (size, ESPY_OTA_MAX_IMAGE_SIZE));
  inf.out = g_byte_array_new ();
  data_start = g_get_monotonic_time ();

  while (received < size)
    {
      gsize n = 0;
      gboolean first = received == 0;

      /* 2024 has no timeout in the data loop. */
      r = read_some (s, buf, MIN (sizeof buf, size - received),
                     is_2024 (s) ? -1 : scaled_deadline (s, DATA_TIMEOUT_US), &n);
      if (r == IO_CANCELLED)
        goto silent;
      if (r != IO_OK)
        {
          fail_with (s, ESPY_OTA_RESPONSE_OK);
          goto out;
        }
      g_checksum_update (md5, buf, n);

      if (first && s->compressed && buf[0] == 0x1F)
        {
          gzip = TRUE;
          if (inflateInit2 (&inf.z, 16 + MAX_WBITS) != Z_OK)
            {
              fail_with (s, ESPY_OTA_RESPONSE_ERROR_WRITING_FLASH);
              goto out;
            }
          inf.initialized = TRUE;
        }
      if (gzip)
        {
          gboolean had_output = inf.out->len > 0;

          inflater_feed (&inf, buf, n);
          /* The image magic shows once the first inflated byte does. */
          if (!had_output && inf.out->len > 0 && inf.out->data[0] != 0xE9)
            {
              fail_with (s, ESPY_OTA_RESPONSE_ERROR_WRITING_FLASH);
              goto out;
            }
        }
      else
        {
          /* ESP-IDF answers a wrong image with 0x80, Arduino ESP8266 0x83,
           * in place of the first ack. */
          if (first && check_magic && buf[0] != 0xE9)
            {
              fail_with (s, platform_is_esp8266 (s) ? ESPY_OTA_RESPONSE_ERROR_WRITING_FLASH
                                                    : ESPY_OTA_RESPONSE_ERROR_MAGIC);
              goto out;
            }
          g_byte_array_append (raw, buf, n);
        }
      received += n;
      /* The OTA code logs from inside its loop, so these lines do go out. */
      if (received * 10 / size > s->progress_decile)
        {
          g_autofree char *text = NULL;

          s->progress_decile = (guint) (received * 10 / size);
          text = g_strdup_printf ("Progress: %.1f%%", (double) received * 100.0 / size);
          device_log (self, 'D', "ota", 250, NULL, text);
        }

      /* Flash writes take time: never get ahead of the rate. */
      if (s->flash_rate > 0 &&
          !sleep_until (self, data_start + (gint64) (received * G_USEC_PER_SEC / s->flash_rate)))
        goto silent;

      /* Acks count bytes received, never client writes. */
      while (acked + ESPY_OTA_BLOCK_SIZE <= received || (received == size && acked < size))
        {
          block++;
          if (block == fault_block && fire_fault (s, ESPY_SIM_STEP_DATA))
            goto out;
          if (s->ota_version >= 2 && send_byte (s, ESPY_OTA_RESPONSE_CHUNK_OK) != IO_OK)
            goto silent;
          acked += ESPY_OTA_BLOCK_SIZE;
        }
    }

  if (fire_fault (s, ESPY_SIM_STEP_RECEIVE))
    goto out;
  if (send_byte (s, ESPY_OTA_RESPONSE_RECEIVE_OK) != IO_OK)
    goto silent;

  if (fire_fault (s, ESPY_SIM_STEP_END))
    goto out;
  if (g_ascii_strncasecmp (g_checksum_get_string (md5), md5_hex, 32) != 0)
    {
      /* Arduino reports it as a failed end; 2026.1 has its own code. */
      fail_with (s, s->generation == ESPY_SIM_GENERATION_2026_1 ? ESPY_OTA_RESPONSE_ERROR_MD5_MISMATCH
                                                                : ESPY_OTA_RESPONSE_ERROR_UPDATE_END);
      goto out;
    }
  if (gzip && (!inf.done || inf.failed || inf.out->len == 0))
    {
      fail_with (s, ESPY_OTA_RESPONSE_ERROR_UPDATE_END);
      goto out;
    }
  if (send_byte (s, ESPY_OTA_RESPONSE_UPDATE_END_OK) != IO_OK)
    goto silent;

  /* The end ack is optional: the device tolerates its absence. */
  read_exact (s, buf, 1, scaled_deadline (s, SHORT_TIMEOUT_US));

  s->image = gzip ? g_byte_array_free_to_bytes (g_steal_pointer (&inf.out))
                  : g_byte_array_free_to_bytes (g_steal_pointer (&raw));
  s->code = ESPY_OTA_RESPONSE_UPDATE_END_OK;
  ok = TRUE;
  goto out;

silent:
  fail_silently (s);
out:
  if (inf.initialized)
    inflateEnd (&inf.z);
  if (inf.out != NULL)
    g_byte_array_unref (inf.out);
  return ok;
}

/* Keeps the socket open, reading and writing nothing, until the client
 * closes it or the device stops. */
static void
stall (Session *s)
{
  GPollFD fds[2] = { { 0 } };
  gboolean have_cancel_fd;

  fds[0].fd = g_socket_get_fd (s->socket);
  fds[0].events = POLLRDHUP;  /* peer closed, even with unread data */
  have_cancel_fd = g_cancellable_make_pollfd (s->cancellable, &fds[1]);
  for (;;)
    {
      int ret;

      fds[0].revents = 0;
      fds[1].revents = 0;
      ret = g_poll (fds, have_cancel_fd ? 2 : 1, -1);
      if (ret < 0 && errno == EINTR)
        continue;
      break;
    }
  if (have_cancel_fd)
    g_cancellable_release_fd (s->cancellable);
}

static void
close_session (Session *s)
{
  guint8 buf[READ_CHUNK];
  gint64 end = g_get_monotonic_time () + LINGER_US;

  if (s->stall && !g_cancellable_is_cancelled (s->cancellable))
    stall (s);

  if (!g_cancellable_is_cancelled (s->cancellable))
    {
      /* Half-close and drain, so what we sent is read, not reset away. */
      g_socket_shutdown (s->socket, FALSE, TRUE, NULL);
      for (;;)
        {
          gsize n;

          if (read_some (s, buf, sizeof buf, end, &n) != IO_OK)
            break;
        }
    }
  g_socket_close (s->socket, NULL);
}

/* The API and web servers: started with the device and after each boot,
 * stopped for the reboot. Never called with the mutex held: stopping waits
 * for nothing, but the servers' callbacks may want the device's mutex. */
static void
servers_stop (EspySimDevice *self)
{
  if (self->api != NULL)
    espy_sim_api_server_stop (self->api);
  if (self->web != NULL)
    espy_sim_web_server_stop (self->web);
}

static gboolean
servers_start (EspySimDevice  *self,
               GError        **error)
{
  const char *version;
  const char *compilation_time;

  g_mutex_lock (&self->mutex);
  version = self->version;
  compilation_time = self->compilation_time;
  g_mutex_unlock (&self->mutex);

  if (self->web != NULL && !espy_sim_web_server_start (self->web, error))
    return FALSE;
  if (self->api != NULL)
    {
      /* What the new firmware reports. */
      espy_sim_api_server_set_version (self->api, version);
      espy_sim_api_server_set_compilation_time (self->api, compilation_time);
      espy_sim_api_server_set_webserver_port (self->api, self->web != NULL ? espy_sim_web_server_get_port (self->web)
                                                                           : 0);
      if (!espy_sim_api_server_start (self->api, self->loop_context, error))
        return FALSE;
    }
  return TRUE;
}

/* Listening again on the same port(s), or not at all if stopped. */
static void
reboot (EspySimDevice *self,
        const char    *new_version,
        const char    *new_compilation_time)
{
  gint64 boot_end;
  gboolean listening = FALSE;

  sleep_until (self, g_get_monotonic_time () + REBOOT_DELAY_US);

  /* The API and the web server go first: unreachable once it says REBOOTING. */
  servers_stop (self);

  g_mutex_lock (&self->mutex);
  self->busy = FALSE;
  if (self->stopping)
    {
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->mutex);
      return;
    }
  /* Every connection dies with the reboot, waiting ones included. */
  self->boot_id++;
  set_state_locked (self, ESPY_SIM_STATE_REBOOTING);
  g_cancellable_cancel (self->listen_cancellable);
  g_cond_broadcast (&self->cond);
  while (self->n_accepting > 0)
    g_cond_wait (&self->cond, &self->mutex);
  boot_end = g_get_monotonic_time () + (gint64) self->boot_ms * G_TIME_SPAN_MILLISECOND;
  g_mutex_unlock (&self->mutex);

  if (!sleep_until (self, boot_end))
    return;

  g_mutex_lock (&self->mutex);
  if (!self->stopping)
    {
      g_autoptr(GError) error = NULL;

      self->version = new_version;
      self->compilation_time = new_compilation_time;
      g_clear_object (&self->listen_cancellable);
      self->listen_cancellable = g_cancellable_new ();
      /* The old listeners are closed; retry briefly if the port is slow to free. */
      for (guint attempt = 0; !listen_locked (self, &error) && attempt < 20; attempt++)
        {
          gint64 retry = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;

          g_clear_error (&error);
          while (!self->stopping && g_get_monotonic_time () < retry)
            g_cond_wait_until (&self->cond, &self->mutex, retry);
          if (self->stopping)
            break;
        }
      if (error != NULL)
        {
          g_message ("espy-sim: %s could not listen again after reboot: %s", self->name, error->message);
          set_state_locked (self, ESPY_SIM_STATE_STOPPED);
        }
      else
        listening = !self->stopping;
    }
  g_mutex_unlock (&self->mutex);

  if (listening)
    {
      g_autoptr(GError) error = NULL;

      if (!servers_start (self, &error))
        g_message ("espy-sim: %s could not start its API or web server after reboot: %s", self->name,
                   error->message);
      g_mutex_lock (&self->mutex);
      if (!self->stopping)
        set_state_locked (self, ESPY_SIM_STATE_RUNNING);
      g_mutex_unlock (&self->mutex);
    }
}

/* A new image is in: say goodbye to the API clients, reboot into it. */
static void
reboot_after_update (EspySimDevice *self,
                     const char    *new_version,
                     const char    *new_compilation_time)
{
  device_log (self, 'I', "app", 133, NULL, "Rebooting safely...");
  if (self->api != NULL)
    espy_sim_api_server_send_disconnect (self->api);
  reboot (self, new_version, new_compilation_time);
}

/* What the device "runs" after IMAGE; records the upload. */
static void
accept_image (EspySimDevice  *self,
              GBytes         *image,
              const char    **new_version,
              const char    **new_time)
{
  g_autofree char *marker_version = NULL;
  g_autofree char *marker_time = NULL;
  g_autofree char *fresh_time = NULL;
  g_autofree char *ota_password = NULL;
  gboolean has_ota_marker = espy_sim_image_parse_ota_marker (image, &ota_password);

  espy_sim_image_parse_marker (image, &marker_version, &marker_time);
  if (marker_time == NULL)
    fresh_time = espy_sim_compilation_time_now ();

  g_mutex_lock (&self->mutex);
  self->upload_count++;
  g_clear_pointer (&self->prev_image, g_bytes_unref);
  self->prev_image = self->last_image;
  self->last_image = g_bytes_ref (image);
  /* The new firmware carries its own OTA password. No session is served
   * until the device is back, so setting it now looks the same outside. */
  if (has_ota_marker)
    {
      espy_secret_string_clear (&self->password);
      self->password = g_steal_pointer (&ota_password);
    }
  *new_version = marker_version != NULL ? g_intern_string (marker_version) : self->version;
  *new_time = g_intern_string (marker_time != NULL ? marker_time : fresh_time);
  g_mutex_unlock (&self->mutex);
}

/* A web_server /update succeeded: the same reboot as after an OTA. */
static void
run_web_update (EspySimDevice *self,
                Job           *job)
{
  const char *new_version;
  const char *new_time;

  accept_image (self, job->web_image, &new_version, &new_time);
  device_log (self, 'I', "ota", 312, NULL, "Update complete");
  post_upload_finished (self, TRUE, ESPY_OTA_RESPONSE_UPDATE_END_OK);
  g_mutex_lock (&self->mutex);
  self->busy = TRUE;
  g_mutex_unlock (&self->mutex);
  reboot_after_update (self, new_version, new_time);
}

static void
run_session (EspySimDevice *self,
             Job           *job)
{
  Session s = { 0 };
  gboolean ok;
  gboolean handshake_ok;
  int one = 1;

  g_mutex_lock (&self->mutex);
  /* One OTA client at a time, in accept order, as the device's loop
   * accepts the next only after the current one is gone: the others hear
   * nothing meanwhile. */
  while ((self->busy || g_queue_peek_head (&self->waiting) != job) &&
         !self->stopping && self->boot_id == job->boot_id)
    g_cond_wait (&self->cond, &self->mutex);
  g_queue_remove (&self->waiting, job);
  if (self->stopping || self->boot_id != job->boot_id)
    {
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->mutex);
      g_socket_close (job->socket, NULL);
      return;
    }
  self->busy = TRUE;
  s.self = self;
  s.socket = job->socket;
  s.cancellable = g_object_ref (self->cancellable);
  s.generation = self->generation;
  s.ota_version = self->ota_version;
  s.platform = g_strdup (self->platform);
  s.password = g_strdup (self->password);
  s.flash_rate = self->flash_rate;
  s.erase_ms_per_mib = self->erase_ms_per_mib;
  s.timeout_scale = self->timeout_scale;
  s.max_image_size = self->max_image_size;
  s.faults = g_array_copy (self->faults);
  g_mutex_unlock (&self->mutex);

  /* ESPHome sets TCP_NODELAY on the OTA client socket: acks go out at once. */
  setsockopt (g_socket_get_fd (s.socket), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  s.handshake_deadline = scaled_deadline (&s, HANDSHAKE_US);

  handshake_ok = serve_handshake (&s);
  if (handshake_ok)
    {
      g_autoptr(GSocketAddress) peer = g_socket_get_remote_address (s.socket, NULL);
      g_autofree char *from = NULL;
      g_autofree char *text = NULL;

      g_mutex_lock (&self->mutex);
      set_state_locked (self, ESPY_SIM_STATE_UPDATING);
      g_mutex_unlock (&self->mutex);
      if (G_IS_INET_SOCKET_ADDRESS (peer))
        from = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (peer)));
      text = g_strdup_printf ("Starting update from %s", from != NULL ? from : "?");
      device_log (self, 'I', "ota", 148, NULL, text);
    }
  ok = handshake_ok && serve_update (&s);
  close_session (&s);
  if (handshake_ok && !g_cancellable_is_cancelled (s.cancellable))
    {
      g_autofree char *text = NULL;

      if (!ok)
        text = g_strdup_printf ("Update failed (code 0x%02X)", s.code);
      device_log (self, ok ? 'I' : 'E', "ota", ok ? 312 : 330, NULL, ok ? "Update complete" : text);
    }
  loop_stall (self, FALSE);

  if (ok)
    {
      const char *new_version;
      const char *new_time;

      accept_image (self, s.image, &new_version, &new_time);
      post_upload_finished (self, TRUE, ESPY_OTA_RESPONSE_UPDATE_END_OK);
      reboot_after_update (self, new_version, new_time);
    }
  else
    {
      if (s.got_bytes && !g_cancellable_is_cancelled (s.cancellable))
        post_upload_finished (self, FALSE, s.code);
      g_mutex_lock (&self->mutex);
      self->busy = FALSE;
      if (!self->stopping && self->state == ESPY_SIM_STATE_UPDATING)
        set_state_locked (self, ESPY_SIM_STATE_RUNNING);
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->mutex);
    }

  g_clear_pointer (&s.image, g_bytes_unref);
  g_clear_pointer (&s.faults, g_array_unref);
  g_free (s.platform);
  g_free (s.password);
  g_object_unref (s.cancellable);
}

static void
run_accept (EspySimDevice *self,
            Job           *job)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = g_socket_accept (job->socket, job->cancellable, &error);

      if (client == NULL)
        {
          if (g_cancellable_is_cancelled (job->cancellable))
            break;
          /* ECONNABORTED and friends: try again, but do not spin. */
          g_usleep (10 * G_TIME_SPAN_MILLISECOND);
          continue;
        }

      g_mutex_lock (&self->mutex);
      if (self->stopping || g_cancellable_is_cancelled (job->cancellable))
        {
          g_mutex_unlock (&self->mutex);
          g_socket_close (client, NULL);
          break;
        }
      self->connection_count++;
      {
        Job *session = g_new0 (Job, 1);

        session->socket = g_steal_pointer (&client);
        session->boot_id = self->boot_id;
        g_queue_push_tail (&self->waiting, session);
        g_thread_pool_push (self->pool, session, NULL);
      }
      g_mutex_unlock (&self->mutex);
    }

  g_socket_close (job->socket, NULL);
  g_mutex_lock (&self->mutex);
  self->n_accepting--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

static void
pool_func (gpointer data,
           gpointer user_data)
{
  Job *job = data;
  EspySimDevice *self = user_data;

  if (job->accept)
    run_accept (self, job);
  else if (job->web_image != NULL)
    run_web_update (self, job);
  else
    run_session (self, job);
  g_clear_pointer (&job->web_image, g_bytes_unref);
  g_clear_object (&job->socket);
  g_clear_object (&job->cancellable);
  g_free (job);
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
  /* allow_reuse: the port must be ours again right after a reboot, while
   * closed sessions sit in TIME_WAIT. */
  if (!g_socket_bind (sock, addr, TRUE, error) || !g_socket_listen (sock, error))
    return NULL;
  return g_steal_pointer (&sock);
}

static void
push_accept_locked (EspySimDevice *self,
                    GSocket       *sock)
{
  Job *job = g_new0 (Job, 1);

  job->accept = TRUE;
  job->socket = sock;
  job->cancellable = g_object_ref (self->listen_cancellable);
  self->n_accepting++;
  g_thread_pool_push (self->pool, job, NULL);
}

static gboolean
listen_locked (EspySimDevice  *self,
               GError        **error)
{
  g_autoptr(GSocket) v4 = listen_on ("127.0.0.1", self->ota_port, error);
  GSocket *v6;

  if (v4 == NULL)
    return FALSE;
  if (self->ota_port == 0)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (v4, error);

      if (local == NULL)
        return FALSE;
      self->ota_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  /* ::1 is a bonus: hosts without IPv6 just do without. */
  v6 = listen_on ("::1", self->ota_port, NULL);

  push_accept_locked (self, g_steal_pointer (&v4));
  if (v6 != NULL)
    push_accept_locked (self, v6);
  return TRUE;
}

/* The device's main loop: the native API and the log generator */

/* Any thread. One log line to the API clients and to /events. */
static void
device_log (EspySimDevice *self,
            char           level,
            const char    *tag,
            guint          line,
            const char    *task,
            const char    *text)
{
  if (self->api != NULL)
    {
      g_autofree char *formatted = espy_sim_format_log_line_task (level, tag, line, task, text);

      espy_sim_api_server_emit_log (self->api, espy_sim_log_level_from_letter (level), formatted);
    }
  /* The web server formats its own lines (without the task marker). */
  if (self->web != NULL && espy_sim_web_server_is_running (self->web))
    espy_sim_web_server_emit_log (self->web, level, tag, line, text);
}

/* What a busy little device logs, one line per SEQ: every level, a task
 * line and a secret now and then. */
static void
generated_line (EspySimDevice *self,
                guint64        seq)
{
  g_autofree char *text = NULL;
  char level = 'D';
  const char *tag = "sensor";
  guint line = 94;
  const char *task = NULL;

  switch (seq % 16)
    {
    case 0:
    case 8:
      text = g_strdup_printf ("'Temperature': Sending state %.5f °C with 1 decimals of accuracy",
                              21.0 + (seq % 17) / 10.0);
      break;
    case 1:
    case 9:
      text = g_strdup_printf ("'WiFi Signal': Sending state %.5f dBm with 0 decimals of accuracy",
                              -60.0 - (double) (seq % 9));
      break;
    case 2:
    case 10:
      level = 'V';
      tag = "api.connection";
      line = 1120;
      text = g_strdup ("Sending keepalive PING");
      break;
    case 3:
      level = 'I';
      tag = "uptime.sensor";
      line = 42;
      text = g_strdup_printf ("'Uptime': Sending state %" G_GUINT64_FORMAT ".00000 s", seq);
      break;
    case 4:
    case 12:
      level = 'v';
      tag = "scheduler";
      line = 219;
      text = g_strdup ("Running interval 'update' with interval=60000 last_execution=3000");
      break;
    case 5:
      level = 'W';
      tag = "component";
      line = 237;
      text = g_strdup ("Component wifi took a long time for an operation (62 ms).");
      break;
    case 6:
      level = 'D';
      tag = "esp32_ble_tracker";
      line = 729;
      task = "BTC_TASK";
      text = g_strdup_printf ("Found device 24:0A:C4:%02X:%02X:%02X RSSI=-7%u", (guint) (seq >> 16) & 0xff,
                              (guint) (seq >> 8) & 0xff, (guint) seq & 0xff, (guint) (seq % 10));
      break;
    case 7:
      level = 'D';
      tag = "wifi";
      line = 1006;
      text = g_strdup ("Signal strength of \033[5m'espy-net'\033[6m: -61 dB");
      break;
    case 11:
      level = 'I';
      tag = "binary_sensor";
      line = 36;
      text = g_strdup_printf ("'Button': Sending state %s", seq % 32 == 11 ? "ON" : "OFF");
      break;
    case 13:
      level = 'V';
      tag = "sensor.filter";
      line = 58;
      text = g_strdup ("SlidingWindowMovingAverageFilter(0x3ffb2a14)::new_value(21.5) SENDING 21.5");
      break;
    case 15:
      level = 'E';
      tag = "i2c.idf";
      line = 271;
      text = g_strdup ("I2C bus timeout on address 0x76");
      break;
    case 14:
    default:
      level = 'D';
      tag = "api";
      line = 136;
      text = g_strdup ("Accept 127.0.0.1");
      break;
    }
  device_log (self, level, tag, line, task, text);
}

static gboolean
log_tick (gpointer data)
{
  EspySimDevice *self = data;
  gboolean running;
  double rate;
  guint64 due;
  guint64 from;
  guint64 n;

  g_mutex_lock (&self->mutex);
  rate = self->log_rate;
  running = self->state == ESPY_SIM_STATE_RUNNING || self->state == ESPY_SIM_STATE_UPDATING;
  due = (guint64) ((double) (g_get_monotonic_time () - self->log_start) * rate / G_USEC_PER_SEC);
  from = self->log_seq;
  n = due > self->log_emitted ? MIN (due - self->log_emitted, MAX_LOG_PER_TICK) : 0;
  /* Behind by more than a tick's worth: skip rather than flood. */
  self->log_emitted = MAX (self->log_emitted + n, due);
  self->log_seq += n;
  g_mutex_unlock (&self->mutex);

  /* Nobody listening: the lines are "printed" to a serial port nobody reads. */
  if (!running ||
      ((self->api == NULL || espy_sim_api_server_get_log_subscribers (self->api, ESPY_API_LOG_LEVEL_ERROR) == 0) &&
       (self->web == NULL || espy_sim_web_server_get_event_client_count (self->web) == 0)))
    return G_SOURCE_CONTINUE;
  for (guint64 i = 0; i < n; i++)
    generated_line (self, from + i);
  return G_SOURCE_CONTINUE;
}

/* (Re)starts the generator at the current rate. */
static void
schedule_log_locked (EspySimDevice *self)
{
  guint interval_ms;

  if (self->log_source != NULL)
    {
      g_source_destroy (self->log_source);
      g_clear_pointer (&self->log_source, g_source_unref);
    }
  if (self->loop_context == NULL || self->log_rate <= 0)
    return;
  interval_ms = (guint) CLAMP (1000.0 / self->log_rate, 10.0, 1000.0);
  self->log_start = g_get_monotonic_time ();
  self->log_emitted = 0;
  self->log_source = g_timeout_source_new (interval_ms);
  g_source_set_callback (self->log_source, log_tick, self, NULL);
  g_source_set_static_name (self->log_source, "[espy-sim] log generator");
  g_source_attach (self->log_source, self->loop_context);
}

static gboolean
stall_dispatch (gpointer data)
{
  EspySimDevice *self = data;

  g_mutex_lock (&self->mutex);
  while (self->stalled && !self->stopping)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);
  return G_SOURCE_REMOVE;
}

/* Blocks the main loop (or lets it go), as the OTA data phase does. */
static void
loop_stall (EspySimDevice *self,
            gboolean       stall)
{
  g_mutex_lock (&self->mutex);
  if (stall && !self->stalled && self->loop_context != NULL)
    {
      GSource *source = g_idle_source_new ();

      self->stalled = TRUE;
      g_source_set_priority (source, G_PRIORITY_HIGH);
      g_source_set_callback (source, stall_dispatch, self, NULL);
      g_source_set_static_name (source, "[espy-sim] OTA stall");
      g_source_attach (source, self->loop_context);
      g_source_unref (source);
    }
  else if (!stall && self->stalled)
    {
      self->stalled = FALSE;
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->mutex);
}

static gboolean
loop_quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gpointer
loop_thread_func (gpointer data)
{
  GMainLoop *loop = data;

  g_main_context_push_thread_default (g_main_loop_get_context (loop));
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (g_main_loop_get_context (loop));
  g_main_loop_unref (loop);
  return NULL;
}

/* Called on the web server's thread: the reboot goes to the pool. */
static void
on_web_upload (EspySimWebServer *server,
               gboolean          ok,
               GBytes           *image,
               gpointer          user_data)
{
  EspySimDevice *self = user_data;

  if (!ok || image == NULL)
    return;
  g_mutex_lock (&self->mutex);
  if (self->pool != NULL && !self->stopping)
    {
      Job *job = g_new0 (Job, 1);

      job->web_image = g_bytes_ref (image);
      g_thread_pool_push (self->pool, job, NULL);
    }
  g_mutex_unlock (&self->mutex);
}

/* Makes the servers the configuration asks for (mutex held). */
static gboolean
servers_create_locked (EspySimDevice  *self,
                       GError        **error)
{
  if (self->web_enabled)
    {
      self->web = espy_sim_web_server_new (self->web_flavour);
      espy_sim_web_server_set_generation (self->web, self->generation);
      espy_sim_web_server_set_platform (self->web, self->platform);
      espy_sim_web_server_set_title (self->web, self->friendly_name != NULL ? self->friendly_name : self->name);
      espy_sim_web_server_set_port (self->web, self->web_port);
      espy_sim_web_server_set_auth (self->web, self->web_user, self->web_password);
      espy_sim_web_server_set_ota_enabled (self->web, self->web_ota);
      espy_sim_web_server_set_flash_rate (self->web, self->flash_rate);
      /* Log lines come from the device's own generator. */
      espy_sim_web_server_set_log_rate (self->web, 0);
      espy_sim_web_server_set_upload_func (self->web, on_web_upload, self, NULL);
    }
  if (self->api_enabled)
    {
      self->api = espy_sim_api_server_new (self->name);
      espy_sim_api_server_set_friendly_name (self->api, self->friendly_name);
      espy_sim_api_server_set_mac (self->api, self->mac);
      espy_sim_api_server_set_platform (self->api, self->platform);
      espy_sim_api_server_set_board (self->api, self->board);
      espy_sim_api_server_set_generation (self->api, self->generation);
      espy_sim_api_server_set_project (self->api, self->project_name, self->project_version);
      espy_sim_api_server_set_password (self->api, self->api_password);
      espy_sim_api_server_set_timeout_scale (self->api, self->timeout_scale);
      espy_sim_api_server_set_port (self->api, self->api_port);
      if (!espy_sim_api_server_set_key (self->api, self->api_key, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
espy_sim_device_start (EspySimDevice  *self,
                       GError        **error)
{
  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->mutex);
  if (self->pool != NULL)
    {
      g_mutex_unlock (&self->mutex);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Simulated device %s is already running", self->name);
      return FALSE;
    }
  self->pool = g_thread_pool_new (pool_func, self, -1, FALSE, error);
  if (self->pool == NULL)
    {
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }
  self->cancellable = g_cancellable_new ();
  self->listen_cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
  self->notifier = g_atomic_rc_box_new0 (Notifier);
  self->notifier->owner = self;
  self->upload_count = 0;
  self->connection_count = 0;
  self->busy = FALSE;
  self->stopping = FALSE;

  if (!listen_locked (self, error) || !servers_create_locked (self, error))
    {
      g_mutex_unlock (&self->mutex);
      espy_sim_device_stop (self);
      return FALSE;
    }
  self->loop_context = g_main_context_new ();
  self->loop = g_main_loop_new (self->loop_context, FALSE);
  self->loop_thread = g_thread_new ("espy-sim-loop", loop_thread_func, g_main_loop_ref (self->loop));
  g_mutex_unlock (&self->mutex);

  if (!servers_start (self, error))
    {
      espy_sim_device_stop (self);
      return FALSE;
    }

  g_mutex_lock (&self->mutex);
  self->state = ESPY_SIM_STATE_RUNNING;
  schedule_log_locked (self);
  g_mutex_unlock (&self->mutex);

  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, (guint) ESPY_SIM_STATE_RUNNING);
  return TRUE;
}

void
espy_sim_device_stop (EspySimDevice *self)
{
  GThreadPool *pool;
  gboolean was_running;

  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));

  g_mutex_lock (&self->mutex);
  pool = g_steal_pointer (&self->pool);
  if (pool == NULL)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  self->stopping = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->listen_cancellable);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  /* Every task waits only on cancellable I/O or on cond with a stopping
   * check, so this returns promptly. */
  g_thread_pool_free (pool, FALSE, TRUE);

  /* No reboot runs any more: the servers stay stopped. */
  servers_stop (self);
  g_mutex_lock (&self->mutex);
  if (self->log_source != NULL)
    {
      g_source_destroy (self->log_source);
      g_clear_pointer (&self->log_source, g_source_unref);
    }
  self->stalled = FALSE;
  g_mutex_unlock (&self->mutex);
  if (self->loop_thread != NULL)
    {
      /* From inside the loop: a quit before g_main_loop_run() started would be lost. */
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, loop_quit_cb, g_main_loop_ref (self->loop),
                             (GDestroyNotify) g_main_loop_unref);
      g_source_attach (source, self->loop_context);
      g_source_unref (source);
      g_thread_join (g_steal_pointer (&self->loop_thread));
    }
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->loop_context, g_main_context_unref);
  g_clear_object (&self->api);
  g_clear_object (&self->web);

  g_mutex_lock (&self->mutex);
  /* dispose() cleared the owner: no signal to a dying object. */
  was_running = self->state != ESPY_SIM_STATE_STOPPED && self->notifier->owner != NULL;
  self->state = ESPY_SIM_STATE_STOPPED;
  self->stopping = FALSE;
  self->busy = FALSE;
  g_clear_object (&self->cancellable);
  g_clear_object (&self->listen_cancellable);
  self->notifier->owner = NULL;
  g_clear_pointer (&self->notifier, g_atomic_rc_box_release);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_unlock (&self->mutex);

  if (was_running)
    g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, (guint) ESPY_SIM_STATE_STOPPED);
}

static void
espy_sim_device_dispose (GObject *object)
{
  EspySimDevice *self = ESPY_SIM_DEVICE (object);

  /* Quietly: no signals to a dying object. */
  g_mutex_lock (&self->mutex);
  if (self->notifier != NULL)
    self->notifier->owner = NULL;
  g_mutex_unlock (&self->mutex);
  espy_sim_device_stop (self);

  G_OBJECT_CLASS (espy_sim_device_parent_class)->dispose (object);
}

static void
espy_sim_device_finalize (GObject *object)
{
  EspySimDevice *self = ESPY_SIM_DEVICE (object);

  g_free (self->name);
  g_free (self->friendly_name);
  g_free (self->platform);
  g_free (self->board);
  espy_secret_string_clear (&self->password);
  espy_secret_string_clear (&self->api_key);
  espy_secret_string_clear (&self->api_password);
  espy_secret_string_clear (&self->web_password);
  g_free (self->web_user);
  g_free (self->mac);
  g_free (self->project_name);
  g_free (self->project_version);
  g_clear_pointer (&self->faults, g_array_unref);
  g_clear_pointer (&self->last_image, g_bytes_unref);
  g_clear_pointer (&self->prev_image, g_bytes_unref);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (espy_sim_device_parent_class)->finalize (object);
}

static void
espy_sim_device_class_init (EspySimDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_sim_device_dispose;
  object_class->finalize = espy_sim_device_finalize;

  /**
   * EspySimDevice::state-changed:
   * @state: the new #EspySimState
   */
  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

  /**
   * EspySimDevice::upload-finished:
   * @ok: whether the device accepted the image
   * @code: 0x45 on success, else the byte the device ended with
   */
  signals[SIGNAL_UPLOAD_FINISHED] =
    g_signal_new ("upload-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_UCHAR);
}

static void
espy_sim_device_init (EspySimDevice *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->platform = g_strdup ("ESP32");
  self->board = g_strdup ("esp32dev");
  self->version = g_intern_static_string ("2025.10.3");
  self->compilation_time = g_intern_static_string ("Oct 20 2025, 10:00:00");
  self->generation = ESPY_SIM_GENERATION_2025_10;
  self->ota_version = 2;
  self->boot_ms = 500;
  self->timeout_scale = 100;
  self->faults = g_array_new (FALSE, FALSE, sizeof (Fault));
  self->web_flavour = ESPY_SIM_WEB_FLAVOUR_ARDUINO;
  self->web_ota = TRUE;
  g_queue_init (&self->waiting);
  self->state = ESPY_SIM_STATE_STOPPED;
}

EspySimDevice *
espy_sim_device_new (const char *name)
{
  EspySimDevice *self;

  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (ESPY_TYPE_SIM_DEVICE, NULL);
  self->name = g_strdup (name);
  /* The same made-up MAC as EspySimPublisher's, in Espressif's range. */
  self->mac = g_strdup_printf ("c8c9a3%06x", g_str_hash (name) & 0xffffff);
  return self;
}

/* Setters and getters */

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
espy_sim_device_set_friendly_name (EspySimDevice *self,
                                   const char    *friendly_name)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  SET_STRING (friendly_name, friendly_name);
}

void
espy_sim_device_set_platform (EspySimDevice *self,
                              const char    *platform)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_return_if_fail (platform != NULL);
  SET_STRING (platform, platform);
}

void
espy_sim_device_set_board (EspySimDevice *self,
                           const char    *board)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  SET_STRING (board, board);
}

void
espy_sim_device_set_version (EspySimDevice *self,
                             const char    *esphome_version)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_return_if_fail (esphome_version != NULL);
  SET_VALUE (version, g_intern_string (esphome_version));
}

void
espy_sim_device_set_compilation_time (EspySimDevice *self,
                                      const char    *compilation_time)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_return_if_fail (compilation_time != NULL);
  SET_VALUE (compilation_time, g_intern_string (compilation_time));
}

void
espy_sim_device_set_generation (EspySimDevice     *self,
                                EspySimGeneration  generation)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_return_if_fail (generation <= ESPY_SIM_GENERATION_2026_1);
  SET_VALUE (generation, generation);
}

void
espy_sim_device_set_ota_version (EspySimDevice *self,
                                 guint          version)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_return_if_fail (version == 1 || version == 2);
  SET_VALUE (ota_version, version);
}

void
espy_sim_device_set_password (EspySimDevice *self,
                              const char    *password)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_mutex_lock (&self->mutex);
  espy_secret_string_set (&self->password, password);
  g_mutex_unlock (&self->mutex);
}

void
espy_sim_device_set_ota_port (EspySimDevice *self,
                              guint16        port)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  SET_VALUE (ota_port, port);
}

void
espy_sim_device_set_flash_rate (EspySimDevice *self,
                                guint64        bytes_per_s)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  SET_VALUE (flash_rate, bytes_per_s);
}

void
espy_sim_device_set_erase_ms_per_mib (EspySimDevice *self,
                                      guint          ms)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  SET_VALUE (erase_ms_per_mib, ms);
}

void
espy_sim_device_set_boot_ms (EspySimDevice *self,
                             guint          ms)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  SET_VALUE (boot_ms, ms);
}

void
espy_sim_device_set_timeout_scale (EspySimDevice *self,
                                   guint          percent)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  /* 0 is allowed: every timeout becomes the 1 ms floor. */
  SET_VALUE (timeout_scale, percent);
}

void
espy_sim_device_set_max_image_size (EspySimDevice *self,
                                    gsize          size)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  SET_VALUE (max_image_size, size);
}

void
espy_sim_device_add_fault (EspySimDevice    *self,
                           EspySimStep       step,
                           EspySimFaultKind  kind,
                           guint8            error_byte)
{
  Fault fault = { step, kind, error_byte };

  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_return_if_fail (step <= ESPY_SIM_STEP_END);
  g_return_if_fail (kind <= ESPY_SIM_FAULT_GARBAGE);

  g_mutex_lock (&self->mutex);
  g_array_append_val (self->faults, fault);
  g_mutex_unlock (&self->mutex);
}

void
espy_sim_device_clear_faults (EspySimDevice *self)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_mutex_lock (&self->mutex);
  g_array_set_size (self->faults, 0);
  g_mutex_unlock (&self->mutex);
}

const char *
espy_sim_device_get_name (EspySimDevice *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), NULL);
  return self->name;
}

/* The string getters below are meant for configuration read back on the
 * main thread; the fields change only through their setters. */
const char *
espy_sim_device_get_friendly_name (EspySimDevice *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), NULL);
  return self->friendly_name;
}

const char *
espy_sim_device_get_platform (EspySimDevice *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), NULL);
  return self->platform;
}

const char *
espy_sim_device_get_board (EspySimDevice *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), NULL);
  return self->board;
}

guint16
espy_sim_device_get_ota_port (EspySimDevice *self)
{
  guint16 port;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), 0);
  g_mutex_lock (&self->mutex);
  port = self->ota_port;
  g_mutex_unlock (&self->mutex);
  return port;
}

EspySimState
espy_sim_device_get_state (EspySimDevice *self)
{
  EspySimState state;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), ESPY_SIM_STATE_STOPPED);
  g_mutex_lock (&self->mutex);
  state = self->state;
  g_mutex_unlock (&self->mutex);
  return state;
}

const char *
espy_sim_device_get_version (EspySimDevice *self)
{
  const char *version;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), NULL);
  g_mutex_lock (&self->mutex);
  version = self->version;  /* interned: valid forever */
  g_mutex_unlock (&self->mutex);
  return version;
}

const char *
espy_sim_device_get_compilation_time (EspySimDevice *self)
{
  const char *compilation_time;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), NULL);
  g_mutex_lock (&self->mutex);
  compilation_time = self->compilation_time;
  g_mutex_unlock (&self->mutex);
  return compilation_time;
}

guint
espy_sim_device_get_upload_count (EspySimDevice *self)
{
  guint count;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), 0);
  g_mutex_lock (&self->mutex);
  count = self->upload_count;
  g_mutex_unlock (&self->mutex);
  return count;
}

GBytes *
espy_sim_device_get_last_image (EspySimDevice *self)
{
  GBytes *image;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), NULL);
  g_mutex_lock (&self->mutex);
  image = self->last_image;
  g_mutex_unlock (&self->mutex);
  return image;
}

guint
espy_sim_device_get_connection_count (EspySimDevice *self)
{
  guint count;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), 0);
  g_mutex_lock (&self->mutex);
  count = self->connection_count;
  g_mutex_unlock (&self->mutex);
  return count;
}

/* Native API, logs, web server */

void
espy_sim_device_set_api_port (EspySimDevice *self,
                              guint16        port)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_mutex_lock (&self->mutex);
  self->api_enabled = TRUE;
  self->api_port = port;
  g_mutex_unlock (&self->mutex);
}

gboolean
espy_sim_device_set_api_key (EspySimDevice  *self,
                             const char     *key,
                             GError        **error)
{
  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), FALSE);

  if (key != NULL && !espy_api_parse_key (key, NULL, error))
    return FALSE;
  g_mutex_lock (&self->mutex);
  espy_secret_string_set (&self->api_key, key);
  g_mutex_unlock (&self->mutex);
  return TRUE;
}

void
espy_sim_device_set_api_password (EspySimDevice *self,
                                  const char    *password)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_mutex_lock (&self->mutex);
  espy_secret_string_set (&self->api_password, password);
  g_mutex_unlock (&self->mutex);
}

gboolean
espy_sim_device_set_mac (EspySimDevice  *self,
                         const char     *mac,
                         GError        **error)
{
  GString *hex;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), FALSE);

  if (mac == NULL)
    {
      hex = g_string_new (NULL);
      g_string_printf (hex, "c8c9a3%06x", g_str_hash (self->name) & 0xffffff);
    }
  else
    {
      gboolean ok = TRUE;
      guint digits = 0;

      hex = g_string_new (NULL);
      /* 12 hex digits, optionally in pairs separated by ':' or '-'. */
      for (const char *p = mac; *p != '\0' && ok; p++)
        {
          if (g_ascii_isxdigit (*p))
            {
              g_string_append_c (hex, g_ascii_tolower (*p));
              digits++;
            }
          else if (!((*p == ':' || *p == '-') && digits % 2 == 0 && digits > 0 && p[1] != '\0'))
            ok = FALSE;
        }
      if (!ok || hex->len != 12)
        {
          g_string_free (hex, TRUE);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” is not a MAC address: write 12 hex digits, e.g. AC:BC:32:89:0E:A9", mac);
          return FALSE;
        }
    }
  g_mutex_lock (&self->mutex);
  g_free (self->mac);
  self->mac = g_string_free (hex, FALSE);
  g_mutex_unlock (&self->mutex);
  return TRUE;
}

void
espy_sim_device_set_log_rate (EspySimDevice *self,
                              double         lines_per_s)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_mutex_lock (&self->mutex);
  self->log_rate = MAX (lines_per_s, 0.0);
  schedule_log_locked (self);
  g_mutex_unlock (&self->mutex);
}

void
espy_sim_device_set_project (EspySimDevice *self,
                             const char    *project_name,
                             const char    *project_version)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_mutex_lock (&self->mutex);
  g_free (self->project_name);
  g_free (self->project_version);
  self->project_name = g_strdup (project_name);
  self->project_version = project_name != NULL ? g_strdup (project_version) : NULL;
  g_mutex_unlock (&self->mutex);
}

void
espy_sim_device_set_web_port (EspySimDevice *self,
                              guint16        port)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_mutex_lock (&self->mutex);
  self->web_enabled = TRUE;
  self->web_port = port;
  g_mutex_unlock (&self->mutex);
}

void
espy_sim_device_set_web_auth (EspySimDevice *self,
                              const char    *username,
                              const char    *password,
                              guint          flavour)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_return_if_fail (flavour == ESPY_SIM_WEB_FLAVOUR_ARDUINO || flavour == ESPY_SIM_WEB_FLAVOUR_ESP_IDF);
  g_mutex_lock (&self->mutex);
  g_free (self->web_user);
  self->web_user = g_strdup (username);
  espy_secret_string_set (&self->web_password, password);
  self->web_flavour = (EspySimWebFlavour) flavour;
  g_mutex_unlock (&self->mutex);
}

void
espy_sim_device_set_web_ota (EspySimDevice *self,
                             gboolean       enabled)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_mutex_lock (&self->mutex);
  self->web_ota = enabled;
  g_mutex_unlock (&self->mutex);
}

guint16
espy_sim_device_get_api_port (EspySimDevice *self)
{
  guint16 port;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), 0);
  g_mutex_lock (&self->mutex);
  port = self->api != NULL ? espy_sim_api_server_get_port (self->api) : 0;
  g_mutex_unlock (&self->mutex);
  return port;
}

guint16
espy_sim_device_get_web_port (EspySimDevice *self)
{
  guint16 port;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), 0);
  g_mutex_lock (&self->mutex);
  port = self->web != NULL ? espy_sim_web_server_get_port (self->web) : 0;
  g_mutex_unlock (&self->mutex);
  return port;
}

gboolean
espy_sim_device_get_api_encrypted (EspySimDevice *self)
{
  gboolean encrypted;

  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), FALSE);
  g_mutex_lock (&self->mutex);
  encrypted = self->api_enabled && self->api_key != NULL;
  g_mutex_unlock (&self->mutex);
  return encrypted;
}

const char *
espy_sim_device_get_mac (EspySimDevice *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), NULL);
  return self->mac;
}

const char *
espy_sim_device_get_project_name (EspySimDevice *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), NULL);
  return self->project_name;
}

const char *
espy_sim_device_get_project_version (EspySimDevice *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_DEVICE (self), NULL);
  return self->project_version;
}

/* Any thread: one line from the device's logger (tests, demo mode). */
void
espy_sim_device_log (EspySimDevice *self,
                     char           level,
                     const char    *tag,
                     guint          line,
                     const char    *text)
{
  g_return_if_fail (ESPY_IS_SIM_DEVICE (self));
  g_return_if_fail (espy_sim_log_level_from_letter (level) != ESPY_API_LOG_LEVEL_NONE);
  device_log (self, level, tag, line, NULL, text);
}
