/* test-ota-interop.c: the OTA client and the device simulator, each checked
 * on its own against the wire doc (esphome-wire.md, section 1). A simulator
 * that agrees with a wrong client proves nothing, so neither half uses the
 * other, nor the shared protocol helpers: every byte expected here is taken
 * from the doc.
 *
 *   A. /interop/client/...: EspyOtaClient against a scripted device (a thread
 *      with blocking sockets) that records every byte the client sends.
 *   B. /interop/sim/...: EspySimDevice against a blocking reference client
 *      (a thread) that does what the doc's reference client does and records
 *      every byte the simulator sends.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <zlib.h>

#include <gio/gio.h>

#include "espy-firmware-image.h"
#include "espy-ota-client.h"
#include "espy-ota-error.h"
#include "espy-sim-device.h"

/* The doc's numbers, written out here on purpose rather than taken from
 * espy-ota-protocol.h. */
#define BLOCK      8192
#define IO_MS      5000  /* patience of the scripted device and reference client */
#define WATCHDOG_S 20

static const guint8 doc_magic[5] = { 0x6C, 0x26, 0xF7, 0x5C, 0x45 };

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                           */

static gint64
now_us (void)
{
  return g_get_monotonic_time ();
}

/* A test image: ESP app header (0xE9), then alternating 4 KiB runs of noise
 * and of text so that gzip changes its size but not beyond recognition. */
static GBytes *
make_image (gsize   size,
            guint32 seed,
            guint8  first_byte)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  static const char text[] = "espy interop test image. ";
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    {
      if ((i / 4096) % 2 == 0)
        data[i] = (guint8) g_rand_int_range (rand, 0, 256);
      else
        data[i] = (guint8) text[i % (sizeof text - 1)];
    }
  data[0] = first_byte;
  if (size > 4)
    {
      data[1] = 0x03;  /* segments */
      data[2] = 0x02;  /* flash mode DIO */
      data[3] = 0x20;  /* 4 MB, 40 MHz */
    }
  /* Keep clear of anything that looks like a partition table at 0x8000. */
  if (size > 0x8000 && data[0x8000] == 0xAA)
    data[0x8000] = 0x55;
  return g_bytes_new_take (data, size);
}

static char *
random_hex (gsize len)
{
  char *s = g_malloc (len + 1);

  for (gsize i = 0; i < len; i++)
    s[i] = "0123456789abcdef"[g_random_int_range (0, 16)];
  s[len] = '\0';
  return s;
}

static gboolean
is_lower_hex (const char *s,
              gsize       len)
{
  if (s == NULL || strlen (s) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
      return FALSE;
  return TRUE;
}

/* Step 5: hex(H(password_utf8 || nonce_hex_text || cnonce_hex_text)). */
static char *
doc_auth_response (GChecksumType  type,
                   const char    *password,
                   const char    *nonce,
                   const char    *cnonce)
{
  g_autoptr(GChecksum) sum = g_checksum_new (type);

  g_checksum_update (sum, (const guchar *) password, -1);
  g_checksum_update (sum, (const guchar *) nonce, -1);
  g_checksum_update (sum, (const guchar *) cnonce, -1);
  return g_strdup (g_checksum_get_string (sum));
}

static GBytes *
doc_gzip (GBytes *bytes)
{
  z_stream zs;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  uLong bound;
  guint8 *out;
  int rc;

  memset (&zs, 0, sizeof zs);
  rc = deflateInit2 (&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  g_assert_cmpint (rc, ==, Z_OK);
  bound = deflateBound (&zs, len);
  out = g_malloc (bound);
  zs.next_in = (Bytef *) data;
  zs.avail_in = (uInt) len;
  zs.next_out = out;
  zs.avail_out = (uInt) bound;
  rc = deflate (&zs, Z_FINISH);
  g_assert_cmpint (rc, ==, Z_STREAM_END);
  len = zs.total_out;
  deflateEnd (&zs);
  return g_bytes_new_take (g_realloc (out, len), len);
}

/* NULL unless DATA is exactly one complete gzip stream. */
static GBytes *
doc_gunzip (const guint8 *data,
            gsize         len)
{
  z_stream zs;
  GByteArray *out = g_byte_array_new ();
  guint8 buf[16384];
  int rc;

  memset (&zs, 0, sizeof zs);
  if (inflateInit2 (&zs, 16 + MAX_WBITS) != Z_OK)
    {
      g_byte_array_unref (out);
      return NULL;
    }
  zs.next_in = (Bytef *) data;
  zs.avail_in = (uInt) len;
  do
    {
      zs.next_out = buf;
      zs.avail_out = sizeof buf;
      rc = inflate (&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END)
        break;
      g_byte_array_append (out, buf, sizeof buf - zs.avail_out);
    }
  while (rc != Z_STREAM_END);
  inflateEnd (&zs);
  if (rc != Z_STREAM_END || zs.avail_in != 0)
    {
      g_byte_array_unref (out);
      return NULL;
    }
  return g_byte_array_free_to_bytes (out);
}

static void
sock_tune (GSocket *sock)
{
  /* Single-byte answers must leave at once, not wait for Nagle. */
  g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_socket_set_blocking (sock, TRUE);
  /* A safety net only: every wait below has its own, shorter deadline. */
  g_socket_set_timeout (sock, 30);
}

static GSocket *
listen_loopback (guint16  port,
                 guint16 *out_port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_bind (sock, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (sock, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  *out_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  return g_steal_pointer (&sock);
}

/* A loopback port nothing listens on (bound, then closed). */
static guint16
unused_port (void)
{
  guint16 port = 0;
  g_autoptr(GSocket) sock = listen_loopback (0, &port);

  g_socket_close (sock, NULL);
  return port;
}

static GSocket *
connect_loopback (guint16   port,
                  GError  **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, error);

  if (sock == NULL)
    return NULL;
  sock_tune (sock);
  if (!g_socket_connect (sock, address, NULL, error))
    return NULL;
  return g_steal_pointer (&sock);
}

static gboolean
sock_send_all (GSocket    *sock,
               const void *data,
               gsize       len)
{
  const guint8 *p = data;

  while (len > 0)
    {
      gssize n = g_socket_send (sock, (const char *) p, len, NULL, NULL);

      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
sock_send_byte (GSocket *sock,
                guint8   byte)
{
  return sock_send_all (sock, &byte, 1);
}

/* Reads LEN bytes, or fewer on close (*EOF set) or after TIMEOUT_MS. */
static gsize
sock_read (GSocket  *sock,
           guint8   *buf,
           gsize     len,
           guint     timeout_ms,
           gboolean *eof)
{
  gint64 deadline = now_us () + (gint64) timeout_ms * 1000;
  gsize got = 0;

  if (eof != NULL)
    *eof = FALSE;
  while (got < len)
    {
      gint64 left = deadline - now_us ();
      gssize n;

      if (left <= 0 || !g_socket_condition_timed_wait (sock, G_IO_IN, left, NULL, NULL))
        break;
      n = g_socket_receive (sock, (char *) buf + got, len - got, NULL, NULL);
      if (n <= 0)
        {
          /* A reset counts as a close: either way nothing more comes. */
          if (eof != NULL)
            *eof = TRUE;
          break;
        }
      got += (gsize) n;
    }
  return got;
}

/* Reads until the peer closes (TRUE) or TIMEOUT_MS pass (FALSE). */
static gboolean
sock_drain (GSocket    *sock,
            GByteArray *out,
            guint       timeout_ms)
{
  gint64 deadline = now_us () + (gint64) timeout_ms * 1000;
  guint8 buf[4096];

  for (;;)
    {
      gint64 left = deadline - now_us ();
      gssize n;

      if (left <= 0 || !g_socket_condition_timed_wait (sock, G_IO_IN, left, NULL, NULL))
        return FALSE;
      n = g_socket_receive (sock, (char *) buf, sizeof buf, NULL, NULL);
      if (n <= 0)
        return TRUE;
      if (out != NULL)
        g_byte_array_append (out, buf, (guint) n);
    }
}

static char *
hex_dump (const guint8 *data,
          gsize         len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len && i < 96; i++)
    g_string_append_printf (s, "%s%02X", i ? " " : "", data[i]);
  if (len > 96)
    g_string_append (s, " ...");
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------ */
/* A. The scripted device                                                   */

typedef enum {
  AT_NONE,
  AT_VERSION,      /* in place of 00 + version, after the magic */
  AT_AUTH,         /* in place of the auth byte, right after the feature answer */
  AT_AUTH_RESULT,  /* in place of 0x41/0x82 after the client's response */
  AT_PREPARE,      /* in place of 0x42 */
  AT_MD5,          /* in place of 0x43 */
  AT_ACK,          /* in place of ack number fault_ack */
  AT_RECEIVE,      /* in place of 0x44 */
  AT_END,          /* in place of 0x45 */
} DevPoint;

#define DO_CLOSE (-1)  /* close without a byte */
#define DO_STALL (-2)  /* say nothing, keep the socket open until the client goes */

typedef enum {
  STEP_MAGIC,     /* accept -> magic */
  STEP_FEATURES,  /* 00 version -> feature byte */
  STEP_AUTH,      /* challenge -> cnonce + response */
  STEP_SIZE,      /* 0x41 -> size */
  STEP_MD5,       /* 0x42 -> MD5 */
  STEP_END_ACK,   /* 0x45 -> 0x00 */
  N_STEPS
} DevStep;

static const char *step_names[N_STEPS] = { "magic", "features", "auth", "size", "md5", "end-ack" };

typedef struct {
  /* Script */
  guint8       version;
  guint8       feature_answer;
  const char  *password;      /* NULL: 0x41 without a challenge */
  gboolean     sha256;
  DevPoint     fault_at;
  int          fault;         /* a byte, DO_CLOSE or DO_STALL */
  guint        fault_ack;
  guint        ack_delay_ms;  /* latency of each 0x47 (the device keeps reading meanwhile) */
  guint        linger_ms;     /* keep accepting afterwards, to count retries */

  /* Plumbing */
  GSocket     *listener;
  guint16      port;
  GThread     *thread;

  /* Record: read by the test only after device_join() */
  guint        connections;
  GByteArray  *magic;
  int          features;      /* -1: never came */
  char        *nonce;
  char        *cnonce;
  char        *response;
  gboolean     auth_ok;
  gboolean     got_size;
  guint32      size;
  char        *md5;
  GByteArray  *data;
  guint        acks_sent;
  gsize        max_unacked;   /* most payload bytes seen beyond the acknowledged ones */
  int          end_ack;       /* -1: none */
  gint64       latency_us[N_STEPS];
  GByteArray  *extra;         /* what came after a fault, a refusal or a challenge left unanswered */
  gboolean     extra_eof;
} Device;

static Device *
device_new_at (guint16 port)
{
  Device *dev = g_new0 (Device, 1);

  dev->version = 2;
  dev->feature_answer = 0x40;
  dev->fault_at = AT_NONE;
  dev->features = -1;
  dev->end_ack = -1;
  dev->magic = g_byte_array_new ();
  dev->data = g_byte_array_new ();
  dev->extra = g_byte_array_new ();
  for (guint i = 0; i < N_STEPS; i++)
    dev->latency_us[i] = -1;
  dev->listener = listen_loopback (port, &dev->port);
  return dev;
}

static Device *
device_new (void)
{
  return device_new_at (0);
}

/* TRUE when the script says this is where the device misbehaves. */
static gboolean
device_fault (Device   *dev,
              GSocket  *s,
              DevPoint  at)
{
  if (dev->fault_at != at)
    return FALSE;
  if (dev->fault == DO_CLOSE)
    return TRUE;
  if (dev->fault >= 0)
    sock_send_byte (s, (guint8) dev->fault);
  /* Wait for the client to hang up rather than close on unread data: the
   * reset that would cause could destroy the byte before the client reads it. */
  dev->extra_eof = sock_drain (s, dev->extra, IO_MS);
  return TRUE;
}

/* Step 10: reads SIZE bytes; version 2 acks each 8192 bytes received and the
 * final partial block, ack_delay_ms after the block completed. */
static gboolean
device_data (Device  *dev,
             GSocket *s)
{
  guint n_acks = dev->version == 2 ? (guint) ((dev->size + (guint64) BLOCK - 1) / BLOCK) : 0;
  g_autofree gint64 *due = g_new0 (gint64, n_acks + 1);
  g_autofree guint8 *buf = g_malloc (65536);
  guint scheduled = 0;
  gsize received = 0;

  while (received < dev->size || dev->acks_sent < scheduled)
    {
      gint64 now = now_us ();
      gint64 wait_us;
      gssize n;

      while (dev->acks_sent < scheduled && due[dev->acks_sent] <= now)
        {
          gssize avail = g_socket_get_available_bytes (s);
          gsize unacked = received + (gsize) MAX (avail, 0) - (gsize) dev->acks_sent * BLOCK;

          dev->max_unacked = MAX (dev->max_unacked, unacked);
          if (dev->fault_at == AT_ACK && dev->fault_ack == dev->acks_sent)
            {
              device_fault (dev, s, AT_ACK);
              return FALSE;
            }
          sock_send_byte (s, 0x47);
          dev->acks_sent++;
        }
      if (received >= dev->size)
        {
          if (dev->acks_sent < scheduled)
            g_usleep ((gulong) MAX (due[dev->acks_sent] - now_us (), 0));
          continue;
        }
      wait_us = dev->acks_sent < scheduled ? due[dev->acks_sent] - now : (gint64) IO_MS * 1000;
      if (wait_us <= 0)
        continue;
      if (!g_socket_condition_timed_wait (s, G_IO_IN, wait_us, NULL, NULL))
        {
          if (dev->acks_sent < scheduled)
            continue;
          return FALSE;  /* the client went quiet mid-data */
        }
      n = g_socket_receive (s, (char *) buf, MIN (65536, dev->size - received), NULL, NULL);
      if (n <= 0)
        return FALSE;
      g_byte_array_append (dev->data, buf, (guint) n);
      received += (gsize) n;
      now = now_us ();
      while (scheduled < n_acks &&
             (received >= (gsize) (scheduled + 1) * BLOCK || received == dev->size))
        due[scheduled++] = now + (gint64) dev->ack_delay_ms * 1000;
    }
  return TRUE;
}

/* Steps 1-12 of the doc, device side. */
static void
device_session (Device  *dev,
                GSocket *s)
{
  guint8 buf[256];
  guint8 hello[2];
  gsize n;
  gint64 t;

  t = now_us ();
  n = sock_read (s, buf, 5, IO_MS, NULL);
  g_byte_array_append (dev->magic, buf, (guint) n);
  if (n < 5)
    return;
  dev->latency_us[STEP_MAGIC] = now_us () - t;
  if (memcmp (buf, doc_magic, 5) != 0)
    {
      sock_send_byte (s, 0x80);
      return;
    }
  if (device_fault (dev, s, AT_VERSION))
    return;
  hello[0] = 0x00;
  hello[1] = dev->version;
  sock_send_all (s, hello, 2);
  t = now_us ();
  if (dev->version != 1 && dev->version != 2)
    {
      /* The client must refuse: nothing more should come. */
      dev->extra_eof = sock_drain (s, dev->extra, IO_MS);
      return;
    }
  if (sock_read (s, buf, 1, IO_MS, NULL) < 1)
    return;
  dev->latency_us[STEP_FEATURES] = now_us () - t;
  dev->features = buf[0];
  sock_send_byte (s, dev->feature_answer);
  if (device_fault (dev, s, AT_AUTH))
    return;

  if (dev->password != NULL)
    {
      gsize hex_len = dev->sha256 ? 64 : 32;
      g_autofree char *expected = NULL;
      gboolean eof = FALSE;

      dev->nonce = random_hex (hex_len);
      sock_send_byte (s, dev->sha256 ? 0x02 : 0x01);
      sock_send_all (s, dev->nonce, hex_len);
      t = now_us ();
      n = sock_read (s, buf, 2 * hex_len, IO_MS, &eof);
      if (n < 2 * hex_len)
        {
          g_byte_array_append (dev->extra, buf, (guint) n);
          dev->extra_eof = eof;
          return;
        }
      dev->latency_us[STEP_AUTH] = now_us () - t;
      dev->cnonce = g_strndup ((const char *) buf, hex_len);
      dev->response = g_strndup ((const char *) buf + hex_len, hex_len);
      if (device_fault (dev, s, AT_AUTH_RESULT))
        return;
      /* Like a 2024 device: the ASCII bytes must match exactly. */
      expected = doc_auth_response (dev->sha256 ? G_CHECKSUM_SHA256 : G_CHECKSUM_MD5,
                                    dev->password, dev->nonce, dev->cnonce);
      if (strcmp (expected, dev->response) != 0)
        {
          sock_send_byte (s, 0x82);
          dev->extra_eof = sock_drain (s, dev->extra, IO_MS);
          return;
        }
      dev->auth_ok = TRUE;
    }
  sock_send_byte (s, 0x41);

  t = now_us ();
  if (sock_read (s, buf, 4, IO_MS, NULL) < 4)
    return;
  dev->latency_us[STEP_SIZE] = now_us () - t;
  dev->got_size = TRUE;
  dev->size = ((guint32) buf[0] << 24) | ((guint32) buf[1] << 16) | ((guint32) buf[2] << 8) | buf[3];
  if (dev->size > 64 * 1024 * 1024)
    return;
  if (device_fault (dev, s, AT_PREPARE))
    return;
  sock_send_byte (s, 0x42);

  t = now_us ();
  if (sock_read (s, buf, 32, IO_MS, NULL) < 32)
    return;
  dev->latency_us[STEP_MD5] = now_us () - t;
  dev->md5 = g_strndup ((const char *) buf, 32);
  if (device_fault (dev, s, AT_MD5))
    return;
  sock_send_byte (s, 0x43);

  if (!device_data (dev, s))
    return;
  if (device_fault (dev, s, AT_RECEIVE))
    return;
  sock_send_byte (s, 0x44);
  if (device_fault (dev, s, AT_END))
    return;
  sock_send_byte (s, 0x45);

  t = now_us ();
  if (sock_read (s, buf, 1, 1000, NULL) == 1)
    {
      dev->latency_us[STEP_END_ACK] = now_us () - t;
      dev->end_ack = buf[0];
    }
}

static GSocket *
device_accept (Device *dev,
               guint   timeout_ms)
{
  GSocket *conn;

  if (!g_socket_condition_timed_wait (dev->listener, G_IO_IN, (gint64) timeout_ms * 1000, NULL, NULL))
    return NULL;
  conn = g_socket_accept (dev->listener, NULL, NULL);
  if (conn == NULL)
    return NULL;
  dev->connections++;
  sock_tune (conn);
  return conn;
}

static gpointer
device_thread (gpointer data)
{
  Device *dev = data;
  GSocket *conn = device_accept (dev, 10000);

  if (conn != NULL)
    {
      device_session (dev, conn);
      g_socket_close (conn, NULL);
      g_object_unref (conn);
    }
  if (dev->linger_ms > 0)
    {
      gint64 end = now_us () + (gint64) dev->linger_ms * 1000;

      while (now_us () < end)
        {
          GSocket *other = device_accept (dev, (guint) MAX ((end - now_us ()) / 1000, 1));

          if (other != NULL)
            {
              g_socket_close (other, NULL);
              g_object_unref (other);
            }
        }
    }
  return NULL;
}

static void
device_start (Device *dev)
{
  dev->thread = g_thread_new ("scripted-device", device_thread, dev);
}

static void
device_join (Device *dev)
{
  if (dev->thread != NULL)
    g_thread_join (g_steal_pointer (&dev->thread));
}

static void
device_free (Device *dev)
{
  device_join (dev);
  g_socket_close (dev->listener, NULL);
  g_object_unref (dev->listener);
  g_byte_array_unref (dev->magic);
  g_byte_array_unref (dev->data);
  g_byte_array_unref (dev->extra);
  g_free (dev->nonce);
  g_free (dev->cnonce);
  g_free (dev->response);
  g_free (dev->md5);
  g_free (dev);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Device, device_free)

/* Running the client on the main context */

typedef struct {
  guint64 sent;
  guint64 acked;
  guint64 total;
} ProgressRow;

typedef struct {
  gboolean      done;
  gboolean      ok;
  gboolean      watchdog_fired;
  GError       *error;
  gint64        elapsed_us;
  GArray       *progress;
  GCancellable *cancellable;
  /* what the client says about itself afterwards */
  int           device_code;
  EspyOtaStage  failed_stage;
  guint         protocol_version;
  gboolean      compressed;
  char         *auth_method;
  guint64       total;
} Run;

static void
run_clear (Run *run)
{
  g_clear_error (&run->error);
  g_clear_pointer (&run->progress, g_array_unref);
  g_clear_object (&run->cancellable);
  g_clear_pointer (&run->auth_method, g_free);
}

static void
on_progress (EspyOtaClient *client,
             guint64        sent,
             guint64        acked,
             guint64        total,
             gpointer       user_data)
{
  Run *run = user_data;
  ProgressRow row = { sent, acked, total };

  g_array_append_val (run->progress, row);
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;

  run->ok = espy_ota_client_upload_finish (ESPY_OTA_CLIENT (source), result, &run->error);
  run->done = TRUE;
}

static void
on_check_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Run *run = user_data;

  run->ok = espy_ota_client_check_finish (ESPY_OTA_CLIENT (source), result, &run->error);
  run->done = TRUE;
}

static gboolean
watchdog_fire (gpointer user_data)
{
  Run *run = user_data;

  run->watchdog_fired = TRUE;
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_REMOVE;
}

/* Uploads IMAGE (or only checks, with IMAGE NULL) and waits on the main context. */
static void
run_client (EspyOtaClient *client,
            GBytes        *image,
            Run           *run)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) fw = NULL;
  gulong handler;
  guint watchdog;
  gint64 start;

  memset (run, 0, sizeof *run);
  run->progress = g_array_new (FALSE, FALSE, sizeof (ProgressRow));
  run->cancellable = g_cancellable_new ();
  if (image != NULL)
    {
      fw = espy_firmware_image_new_from_bytes (image, "interop.bin", &error);
      g_assert_no_error (error);
    }
  handler = g_signal_connect (client, "progress", G_CALLBACK (on_progress), run);
  watchdog = g_timeout_add_seconds (WATCHDOG_S, watchdog_fire, run);
  start = now_us ();
  if (fw != NULL)
    espy_ota_client_upload_async (client, fw, run->cancellable, on_done, run);
  else
    espy_ota_client_check_async (client, run->cancellable, on_check_done, run);
  while (!run->done)
    g_main_context_iteration (NULL, TRUE);
  run->elapsed_us = now_us () - start;
  if (!run->watchdog_fired)
    g_source_remove (watchdog);
  g_signal_handler_disconnect (client, handler);

  run->device_code = espy_ota_client_get_device_code (client);
  run->failed_stage = espy_ota_client_get_failed_stage (client);
  run->protocol_version = espy_ota_client_get_protocol_version (client);
  run->compressed = espy_ota_client_get_compressed (client);
  run->auth_method = g_strdup (espy_ota_client_get_auth_method (client));
  run->total = espy_ota_client_get_total (client);

  g_test_message ("client finished in %" G_GINT64_FORMAT " ms: %s", run->elapsed_us / 1000,
                  run->ok ? "ok" : run->error ? run->error->message : "(failed without an error)");
  g_assert_false (run->watchdog_fired);
}

static EspyOtaClient *
make_client (guint16     port,
             const char *password)
{
  EspyOtaClient *client = espy_ota_client_new ("127.0.0.1", port);

  espy_ota_client_set_password (client, password);
  espy_ota_client_set_retries (client, 0, 10);
  espy_ota_client_set_timeouts (client, 3000, 3000);
  return client;
}

/* One scripted session: DEV already configured. The client is dropped before
 * the device thread is joined, so a client that keeps its socket open after
 * a failure cannot stall the device. */
static void
run_session (Device        *dev,
             EspyOtaClient *client,
             GBytes        *image,
             Run           *run)
{
  device_start (dev);
  run_client (client, image, run);
  g_object_unref (client);
  device_join (dev);
}

static void
check_progress (Run     *run,
                guint64  total,
                gboolean v2)
{
  guint64 last_sent = 0;
  guint64 last_acked = 0;
  ProgressRow *last;

  g_assert_cmpuint (run->progress->len, >, 0);
  for (guint i = 0; i < run->progress->len; i++)
    {
      ProgressRow *row = &g_array_index (run->progress, ProgressRow, i);

      g_test_message ("progress sent=%" G_GUINT64_FORMAT " acked=%" G_GUINT64_FORMAT " total=%" G_GUINT64_FORMAT,
                      row->sent, row->acked, row->total);
    }
  for (guint i = 0; i < run->progress->len; i++)
    {
      ProgressRow *row = &g_array_index (run->progress, ProgressRow, i);

      g_assert_cmpuint (row->total, ==, total);
      g_assert_cmpuint (row->sent, >=, last_sent);
      g_assert_cmpuint (row->acked, >=, last_acked);
      g_assert_cmpuint (row->acked, <=, row->sent);
      g_assert_cmpuint (row->sent, <=, row->total);
      if (v2)
        /* Acks count whole 8192-byte blocks, plus the final partial one. */
        g_assert_true (row->acked % BLOCK == 0 || row->acked == total);
      else
        /* No acks on version 1: "acked" is what was written. */
        g_assert_cmpuint (row->acked, ==, row->sent);
      last_sent = row->sent;
      last_acked = row->acked;
    }
  last = &g_array_index (run->progress, ProgressRow, run->progress->len - 1);
  g_assert_cmpuint (last->acked, ==, total);
  g_assert_cmpuint (last->sent, ==, total);
}

/* The test's own hashing, checked against the vectors in test-ota-protocol.c
 * (computed with python3 hashlib): the rest of part A relies on it. */
static void
test_self_check (void)
{
  g_autofree char *md5 = doc_auth_response (G_CHECKSUM_MD5, "hunter2", "0123456789abcdef0123456789abcdef",
                                            "fedcba9876543210fedcba9876543210");
  g_autoptr(GBytes) image = make_image (3 * BLOCK + 100, 3, 0xE9);
  g_autoptr(GBytes) gz = doc_gzip (image);
  g_autoptr(GBytes) back = doc_gunzip (g_bytes_get_data (gz, NULL), g_bytes_get_size (gz));

  g_assert_cmpstr (md5, ==, "371f0d826510e3d5d2aa7065fe779443");
  g_assert_nonnull (back);
  g_assert_true (g_bytes_equal (back, image));
  g_assert_cmpuint (g_bytes_get_size (gz), !=, g_bytes_get_size (image));
  g_assert_null (doc_gunzip (g_bytes_get_data (image, NULL), 200));
}

/* A.1 Successful uploads: every byte the client sends, per step. */

typedef struct {
  guint8      version;
  gsize       size;
  const char *password;  /* the device's and the client's */
  gboolean    sha256;
  gboolean    compress;  /* the device answers 0x46 */
} UploadCase;

static const UploadCase upload_v2_partial = { 2, 3 * BLOCK + 100, NULL, FALSE, FALSE };
static const UploadCase upload_v2_exact = { 2, 4 * BLOCK, NULL, FALSE, FALSE };
static const UploadCase upload_v2_tiny = { 2, 100, NULL, FALSE, FALSE };
static const UploadCase upload_md5 = { 2, 3 * BLOCK + 100, "s3cret p\xc3\xa4ss", FALSE, FALSE };
static const UploadCase upload_sha256 = { 2, 3 * BLOCK + 100, "s3cret p\xc3\xa4ss", TRUE, FALSE };
static const UploadCase upload_v1 = { 1, 3 * BLOCK + 100, NULL, FALSE, FALSE };
static const UploadCase upload_v1_md5 = { 1, 2 * BLOCK, "pw", FALSE, FALSE };
static const UploadCase upload_gzip = { 2, 3 * BLOCK + 100, NULL, FALSE, TRUE };
static const UploadCase upload_gzip_v1_sha = { 1, 3 * BLOCK + 100, "pw", TRUE, TRUE };

static void
test_client_upload (gconstpointer data)
{
  const UploadCase *tc = data;
  g_autoptr(GBytes) image = make_image (tc->size, 11, 0xE9);
  g_autoptr(Device) dev = device_new ();
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *payload_md5 = NULL;
  gsize payload_len;
  Run run;

  dev->version = tc->version;
  dev->feature_answer = tc->compress ? 0x46 : 0x40;
  dev->password = tc->password;
  dev->sha256 = tc->sha256;
  run_session (dev, make_client (dev->port, tc->password), image, &run);

  g_assert_no_error (run.error);
  g_assert_true (run.ok);

  /* Step 1 */
  g_assert_cmpmem (dev->magic->data, dev->magic->len, doc_magic, 5);
  /* Step 3: a current client sends 0x03 */
  g_assert_cmpint (dev->features, ==, 0x03);
  /* Step 5 */
  if (tc->password != NULL)
    {
      gsize hex_len = tc->sha256 ? 64 : 32;
      g_autofree char *expected = NULL;

      g_assert_true (is_lower_hex (dev->cnonce, hex_len));
      g_assert_true (is_lower_hex (dev->response, hex_len));
      expected = doc_auth_response (tc->sha256 ? G_CHECKSUM_SHA256 : G_CHECKSUM_MD5,
                                    tc->password, dev->nonce, dev->cnonce);
      g_assert_cmpstr (dev->response, ==, expected);
      g_assert_true (dev->auth_ok);
      g_assert_cmpstr (run.auth_method, ==, tc->sha256 ? "sha256" : "md5");
    }
  else
    g_assert_null (dev->cnonce);
  /* Step 7, 9, 10: size, MD5 and data describe the bytes sent */
  g_assert_true (dev->got_size);
  g_assert_cmpuint (dev->data->len, ==, dev->size);
  payload = g_bytes_new (dev->data->data, dev->data->len);
  payload_len = g_bytes_get_size (payload);
  payload_md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, payload);
  g_assert_cmpstr (dev->md5, ==, payload_md5);
  if (tc->compress)
    {
      g_autoptr(GBytes) inflated = NULL;

      g_assert_cmpuint (payload_len, >, 2);
      g_assert_cmphex (dev->data->data[0], ==, 0x1F);
      g_assert_cmphex (dev->data->data[1], ==, 0x8B);
      inflated = doc_gunzip (dev->data->data, dev->data->len);
      g_assert_nonnull (inflated);
      g_assert_true (g_bytes_equal (inflated, image));
      g_assert_true (run.compressed);
    }
  else
    {
      g_assert_true (g_bytes_equal (payload, image));
      g_assert_false (run.compressed);
    }
  /* Version 2: ceil(size / 8192) acks; version 1: none */
  g_assert_cmpuint (dev->acks_sent, ==, tc->version == 2 ? (payload_len + BLOCK - 1) / BLOCK : 0);
  /* Step 12 */
  g_assert_cmpint (dev->end_ack, ==, 0x00);

  g_assert_cmpuint (run.protocol_version, ==, tc->version);
  g_assert_cmpuint (run.total, ==, payload_len);
  check_progress (&run, payload_len, tc->version == 2);
  run_clear (&run);
}

/* A.2 A 2024 device gives each handshake step 1 s, then 0xFF: the client
 * must answer every step at once. */
static void
test_client_prompt_answers (void)
{
  g_autoptr(GBytes) image = make_image (3 * BLOCK + 100, 12, 0xE9);
  g_autoptr(Device) dev = device_new ();
  Run run;

  dev->password = "s3cret";
  run_session (dev, make_client (dev->port, "s3cret"), image, &run);
  g_assert_no_error (run.error);
  g_assert_true (run.ok);
  for (guint i = 0; i < N_STEPS; i++)
    {
      g_test_message ("step %s answered in %.1f ms", step_names[i], dev->latency_us[i] / 1000.0);
      g_assert_cmpint (dev->latency_us[i], >=, 0);
      g_assert_cmpint (dev->latency_us[i], <, 100 * 1000);
    }
  run_clear (&run);
}

/* A.3 Pipelining */
static void
test_client_stop_and_wait (void)
{
  g_autoptr(GBytes) image = make_image (6 * BLOCK + 100, 13, 0xE9);
  g_autoptr(Device) dev = device_new ();
  EspyOtaClient *client;
  Run run;

  /* Acks leave 20 ms after each block: time enough for a client that does
   * not wait to be caught sending the next one. */
  dev->ack_delay_ms = 20;
  client = make_client (dev->port, NULL);
  espy_ota_client_set_window (client, 1);
  run_session (dev, client, image, &run);
  g_assert_no_error (run.error);
  g_assert_true (run.ok);
  g_assert_cmpuint (dev->acks_sent, ==, 7);
  g_test_message ("most unacknowledged bytes seen: %" G_GSIZE_FORMAT, dev->max_unacked);
  g_assert_cmpuint (dev->max_unacked, <=, BLOCK);
  g_assert_cmpmem (dev->data->data, dev->data->len, g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  check_progress (&run, g_bytes_get_size (image), TRUE);
  run_clear (&run);
}

static gint64
timed_window_upload (GBytes *image,
                     guint   window,
                     gsize  *max_unacked)
{
  g_autoptr(Device) dev = device_new ();
  EspyOtaClient *client;
  gint64 elapsed;
  Run run;

  dev->ack_delay_ms = 50;
  client = make_client (dev->port, NULL);
  espy_ota_client_set_window (client, window);
  run_session (dev, client, image, &run);
  g_assert_no_error (run.error);
  g_assert_true (run.ok);
  g_assert_cmpmem (dev->data->data, dev->data->len, g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  g_assert_cmpuint (dev->acks_sent, ==, g_bytes_get_size (image) / BLOCK);
  check_progress (&run, g_bytes_get_size (image), TRUE);
  *max_unacked = dev->max_unacked;
  elapsed = run.elapsed_us;
  run_clear (&run);
  return elapsed;
}

static void
test_client_window (void)
{
  g_autoptr(GBytes) image = make_image (8 * BLOCK, 14, 0xE9);
  gsize unacked1 = 0;
  gsize unacked4 = 0;
  gint64 t1 = timed_window_upload (image, 1, &unacked1);
  gint64 t4 = timed_window_upload (image, 4, &unacked4);

  g_test_message ("window 1: %" G_GINT64_FORMAT " ms, at most %" G_GSIZE_FORMAT " bytes unacked; "
                  "window 4: %" G_GINT64_FORMAT " ms, at most %" G_GSIZE_FORMAT " bytes unacked",
                  t1 / 1000, unacked1, t4 / 1000, unacked4);
  g_assert_cmpuint (unacked1, <=, BLOCK);
  g_assert_cmpuint (unacked4, <=, 4 * BLOCK);
  g_assert_cmpuint (unacked4, >, BLOCK);
  /* Stop-and-wait pays the 50 ms latency for each of the 8 blocks. */
  g_assert_cmpint (t1, >=, 8 * 50 * 1000);
  g_assert_cmpint (t4 * 10, <, t1 * 6);
}

/* A.4 Authentication failures */

static void
test_client_password_rejected (void)
{
  g_autoptr(GBytes) image = make_image (BLOCK, 15, 0xE9);
  g_autoptr(Device) dev = device_new ();
  EspyOtaClient *client;
  Run run;

  dev->password = "right";
  dev->linger_ms = 300;
  client = make_client (dev->port, "wrong");
  espy_ota_client_set_retries (client, 2, 50);
  run_session (dev, client, image, &run);
  g_assert_error (run.error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REJECTED);
  g_assert_false (run.ok);
  g_assert_cmpint (run.device_code, ==, 0x82);
  g_assert_cmpint (run.failed_stage, ==, ESPY_OTA_STAGE_AUTH);
  /* It did answer, with the formula, just with the wrong password. */
  g_assert_true (is_lower_hex (dev->response, 32));
  g_assert_false (dev->got_size);
  /* A device error byte is never retried. */
  g_assert_cmpuint (dev->connections, ==, 1);
  run_clear (&run);
}

static void
test_client_password_required (gconstpointer data)
{
  gboolean sha256 = GPOINTER_TO_INT (data);
  g_autoptr(GBytes) image = make_image (BLOCK, 16, 0xE9);
  g_autoptr(Device) dev = device_new ();
  Run run;

  dev->password = "s3cret";
  dev->sha256 = sha256;
  run_session (dev, make_client (dev->port, NULL), image, &run);
  g_assert_error (run.error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REQUIRED);
  g_assert_cmpint (dev->features, ==, 0x03);
  /* Nothing after the feature byte: no cnonce, no empty-password guess. */
  if (dev->extra->len > 0)
    {
      g_autofree char *dump = hex_dump (dev->extra->data, dev->extra->len);
      g_test_message ("client sent after the challenge: %s", dump);
    }
  g_assert_cmpuint (dev->extra->len, ==, 0);
  g_assert_null (dev->cnonce);
  run_clear (&run);
}

static void
test_client_sha256_required (void)
{
  g_autoptr(GBytes) image = make_image (BLOCK, 17, 0xE9);
  g_autoptr(Device) dev = device_new ();
  Run run;

  /* A 2026.1 device with a password, as seen by a client without 0x02. */
  dev->fault_at = AT_AUTH;
  dev->fault = 0x82;
  run_session (dev, make_client (dev->port, "s3cret"), image, &run);
  g_assert_error (run.error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_SHA256_REQUIRED);
  g_assert_cmpint (run.device_code, ==, 0x82);
  g_assert_cmpuint (dev->extra->len, ==, 0);
  run_clear (&run);
}

static void
test_client_check (gconstpointer data)
{
  const char *password = data;
  g_autoptr(Device) dev = device_new ();
  Run run;

  dev->password = "s3cret";
  dev->sha256 = TRUE;
  run_session (dev, make_client (dev->port, password), NULL, &run);
  if (g_strcmp0 (password, "s3cret") == 0)
    {
      g_assert_no_error (run.error);
      g_assert_true (run.ok);
      g_assert_true (dev->auth_ok);
    }
  else
    g_assert_error (run.error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REJECTED);
  /* Handshake and auth only: no size. */
  g_assert_false (dev->got_size);
  run_clear (&run);
}

static void
test_client_unsupported_version (void)
{
  g_autoptr(GBytes) image = make_image (BLOCK, 18, 0xE9);
  g_autoptr(Device) dev = device_new ();
  Run run;

  dev->version = 0x03;
  run_session (dev, make_client (dev->port, NULL), image, &run);
  g_assert_error (run.error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_UNSUPPORTED_VERSION);
  /* Refused: no feature byte. */
  g_assert_cmpuint (dev->extra->len, ==, 0);
  run_clear (&run);
}

/* A.5 Device error bytes */

typedef struct {
  DevPoint      at;
  guint         ack;
  guint8        byte;
  EspyOtaError  code;   /* from the header's table of device codes */
  EspyOtaStage  stage;
} ErrorCase;

static const ErrorCase error_prepare_81 = { AT_PREPARE, 0, 0x81, ESPY_OTA_ERROR_PREPARE_FAILED, ESPY_OTA_STAGE_PREPARE };
static const ErrorCase error_prepare_88 = { AT_PREPARE, 0, 0x88, ESPY_OTA_ERROR_ESP8266_NOT_ENOUGH_SPACE, ESPY_OTA_STAGE_PREPARE };
static const ErrorCase error_data_83 = { AT_ACK, 1, 0x83, ESPY_OTA_ERROR_WRITE_FAILED, ESPY_OTA_STAGE_UPLOAD };
static const ErrorCase error_first_ack_80 = { AT_ACK, 0, 0x80, ESPY_OTA_ERROR_WRONG_MAGIC, ESPY_OTA_STAGE_UPLOAD };
static const ErrorCase error_end_84 = { AT_END, 0, 0x84, ESPY_OTA_ERROR_END_FAILED, ESPY_OTA_STAGE_VERIFY };
static const ErrorCase error_end_8b = { AT_END, 0, 0x8B, ESPY_OTA_ERROR_MD5_MISMATCH, ESPY_OTA_STAGE_VERIFY };
static const ErrorCase error_end_ff = { AT_END, 0, 0xFF, ESPY_OTA_ERROR_DEVICE_UNKNOWN, ESPY_OTA_STAGE_VERIFY };
static const ErrorCase error_end_93 = { AT_END, 0, 0x93, ESPY_OTA_ERROR_DOWNGRADE_REFUSED, ESPY_OTA_STAGE_VERIFY };

static void
test_client_device_error (gconstpointer data)
{
  const ErrorCase *tc = data;
  g_autoptr(GBytes) image = make_image (3 * BLOCK + 100, 19, 0xE9);
  g_autoptr(Device) dev = device_new ();
  EspyOtaClient *client;
  Run run;

  dev->fault_at = tc->at;
  dev->fault_ack = tc->ack;
  dev->fault = tc->byte;
  dev->linger_ms = 300;
  client = make_client (dev->port, NULL);
  espy_ota_client_set_retries (client, 2, 50);
  run_session (dev, client, image, &run);
  g_assert_false (run.ok);
  g_assert_error (run.error, ESPY_OTA_ERROR, (gint) tc->code);
  g_assert_cmpint (espy_ota_error_from_response (tc->byte), ==, tc->code);
  g_assert_cmphex (run.device_code, ==, tc->byte);
  g_assert_cmpint (run.failed_stage, ==, tc->stage);
  /* Never retried after a device error byte. */
  g_assert_cmpuint (dev->connections, ==, 1);
  run_clear (&run);
}

/* A.6 0x00 where 0x43, 0x47, 0x44 or 0x45 was expected: the device's pending
 * error code after a read timeout; never success. */

typedef struct {
  DevPoint at;
  gboolean all_sent;  /* the whole image was sent: never retry */
} ZeroCase;

static const ZeroCase zero_md5 = { AT_MD5, FALSE };
static const ZeroCase zero_ack = { AT_ACK, FALSE };
static const ZeroCase zero_receive = { AT_RECEIVE, TRUE };
static const ZeroCase zero_end = { AT_END, TRUE };

static void
test_client_zero_is_not_ok (gconstpointer data)
{
  const ZeroCase *tc = data;
  g_autoptr(GBytes) image = make_image (3 * BLOCK + 100, 20, 0xE9);
  g_autoptr(Device) dev = device_new ();
  EspyOtaClient *client;
  Run run;

  dev->fault_at = tc->at;
  dev->fault_ack = 0;
  dev->fault = 0x00;
  client = make_client (dev->port, NULL);
  if (tc->all_sent)
    {
      dev->linger_ms = 300;
      espy_ota_client_set_retries (client, 2, 50);
    }
  run_session (dev, client, image, &run);
  g_assert_false (run.ok);
  g_assert_nonnull (run.error);
  g_test_message ("error: %s (code %d)", run.error->message, run.error->code);
  g_assert_true (run.error->domain == ESPY_OTA_ERROR);
  if (tc->all_sent)
    g_assert_cmpuint (dev->connections, ==, 1);
  run_clear (&run);
}

/* A.7 Closes, silence, refusals */

static const DevPoint close_at_version = AT_VERSION;
static const DevPoint close_at_auth = AT_AUTH;

static void
test_client_closed (gconstpointer data)
{
  g_autoptr(GBytes) image = make_image (BLOCK, 21, 0xE9);
  g_autoptr(Device) dev = device_new ();
  Run run;

  dev->fault_at = *(const DevPoint *) data;
  dev->fault = DO_CLOSE;
  run_session (dev, make_client (dev->port, NULL), image, &run);
  g_assert_error (run.error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_CLOSED);
  /* At once, not after the 3 s handshake timeout. */
  g_assert_cmpint (run.elapsed_us, <, 1000 * 1000);
  run_clear (&run);
}

static void
test_client_timeout_handshake (void)
{
  g_autoptr(GBytes) image = make_image (BLOCK, 22, 0xE9);
  g_autoptr(Device) dev = device_new ();
  EspyOtaClient *client;
  Run run;

  dev->fault_at = AT_VERSION;
  dev->fault = DO_STALL;
  client = make_client (dev->port, NULL);
  espy_ota_client_set_timeouts (client, 300, 600);
  run_session (dev, client, image, &run);
  g_assert_error (run.error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_TIMEOUT);
  g_assert_cmpint (run.elapsed_us, >=, 280 * 1000);
  g_assert_cmpint (run.elapsed_us, <, 1000 * 1000);
  /* It hung up when it gave up. */
  g_assert_true (dev->extra_eof);
  run_clear (&run);
}

static void
test_client_timeout_prepare (void)
{
  g_autoptr(GBytes) image = make_image (BLOCK, 23, 0xE9);
  g_autoptr(Device) dev = device_new ();
  EspyOtaClient *client;
  Run run;

  /* From the size step on, the data timeout applies (erase is slow). */
  dev->fault_at = AT_PREPARE;
  dev->fault = DO_STALL;
  client = make_client (dev->port, NULL);
  espy_ota_client_set_timeouts (client, 300, 600);
  run_session (dev, client, image, &run);
  g_assert_error (run.error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_TIMEOUT);
  g_assert_cmpint (run.elapsed_us, >=, 580 * 1000);
  g_assert_cmpint (run.elapsed_us, <, 1500 * 1000);
  g_assert_true (dev->got_size);
  run_clear (&run);
}

static void
test_client_refused (void)
{
  g_autoptr(GBytes) image = make_image (BLOCK, 24, 0xE9);
  guint16 port = unused_port ();
  EspyOtaClient *client;
  Run run;

  client = make_client (port, NULL);
  run_client (client, image, &run);
  g_object_unref (client);
  g_assert_error (run.error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_CONNECTION_REFUSED);
  g_assert_cmpint (run.elapsed_us, <, 300 * 1000);
  run_clear (&run);

  /* Two retries, 200 ms apart. */
  client = make_client (port, NULL);
  espy_ota_client_set_retries (client, 2, 200);
  run_client (client, image, &run);
  g_object_unref (client);
  g_assert_error (run.error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_CONNECTION_REFUSED);
  g_assert_cmpint (run.elapsed_us, >=, 380 * 1000);
  g_assert_cmpint (run.elapsed_us, <, 2000 * 1000);
  run_clear (&run);
}

typedef struct {
  guint16  port;
  Device  *dev;
} LateDevice;

static gboolean
late_device_start (gpointer user_data)
{
  LateDevice *late = user_data;

  late->dev = device_new_at (late->port);
  device_start (late->dev);
  return G_SOURCE_REMOVE;
}

static void
test_client_retry_reaches_device (void)
{
  g_autoptr(GBytes) image = make_image (2 * BLOCK, 25, 0xE9);
  LateDevice late = { unused_port (), NULL };
  EspyOtaClient *client;
  Run run;

  /* Refused at first; the device comes up 100 ms later, the retry at 250 ms finds it. */
  g_timeout_add (100, late_device_start, &late);
  client = make_client (late.port, NULL);
  espy_ota_client_set_retries (client, 2, 250);
  run_client (client, image, &run);
  g_object_unref (client);
  g_assert_nonnull (late.dev);
  device_join (late.dev);
  g_assert_no_error (run.error);
  g_assert_true (run.ok);
  g_assert_cmpmem (late.dev->data->data, late.dev->data->len,
                   g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  g_assert_cmpuint (late.dev->connections, ==, 1);
  device_free (late.dev);
  run_clear (&run);
}

/* ------------------------------------------------------------------------ */
/* B. The simulator against a reference client                              */

typedef struct {
  /* Script */
  guint16       port;
  guint8        features;
  const char   *password;      /* NULL: the client has none */
  gboolean      upper_case;    /* send the response in uppercase hex */
  GBytes       *image;
  gsize         write_size;    /* bytes per write in the data phase */
  gboolean      wrong_magic;
  gboolean      stall_after_version;

  /* Record */
  GByteArray   *rx;            /* every byte the device sent, in order */
  gboolean      eof;           /* the device closed at the end */
  guint8        version;
  guint         acks;
  gboolean      completed;     /* 0x45 came and the end ack went */
  gboolean      compressed;
  char         *nonce;
  char         *failure;       /* the first departure from the doc's exchange */
  gint64        stall_us;
  gboolean      done;
} RefClient;

static void
ref_client_init (RefClient *rc,
                 guint16    port,
                 GBytes    *image)
{
  memset (rc, 0, sizeof *rc);
  rc->port = port;
  rc->features = 0x03;
  rc->image = image;
  rc->write_size = BLOCK;
  rc->rx = g_byte_array_new ();
}

static void
ref_client_clear (RefClient *rc)
{
  g_clear_pointer (&rc->rx, g_byte_array_unref);
  g_clear_pointer (&rc->nonce, g_free);
  g_clear_pointer (&rc->failure, g_free);
}

static gboolean
ref_read (RefClient *rc,
          GSocket   *s,
          guint8    *out,
          gsize      len)
{
  gsize n = sock_read (s, out, len, IO_MS, &rc->eof);

  g_byte_array_append (rc->rx, out, (guint) n);
  return n == len;
}

/* Records a departure and reads what remains, to see how the device ends. */
static void
ref_fail (RefClient  *rc,
          GSocket    *s,
          const char *what)
{
  if (rc->failure == NULL)
    rc->failure = g_strdup (what);
  if (!rc->eof)
    rc->eof = sock_drain (s, rc->rx, IO_MS);
}

static gboolean
ref_expect (RefClient  *rc,
            GSocket    *s,
            guint8      expected,
            const char *what)
{
  guint8 b;

  if (!ref_read (rc, s, &b, 1))
    {
      ref_fail (rc, s, what);
      return FALSE;
    }
  if (b != expected)
    {
      g_autofree char *msg = g_strdup_printf ("%s: expected 0x%02X, got 0x%02X", what, expected, b);
      ref_fail (rc, s, msg);
      return FALSE;
    }
  return TRUE;
}

static void
ref_client_session (RefClient *rc,
                    GSocket   *s)
{
  static const guint8 bad_magic[5] = { 0x6C, 0x26, 0xF7, 0x5C, 0x44 };
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *md5 = NULL;
  const guint8 *data;
  guint8 b[2];
  guint8 size_be[4];
  gsize size;
  gsize sent = 0;
  guint n_acks;

  /* Steps 1-2 */
  sock_send_all (s, rc->wrong_magic ? bad_magic : doc_magic, 5);
  if (!ref_read (rc, s, b, 2))
    {
      ref_fail (rc, s, "no 00 + version");
      return;
    }
  if (b[0] != 0x00 || (b[1] != 1 && b[1] != 2))
    {
      ref_fail (rc, s, "bad version answer");
      return;
    }
  rc->version = b[1];
  if (rc->stall_after_version)
    {
      gint64 t = now_us ();

      rc->eof = sock_drain (s, rc->rx, IO_MS);
      rc->stall_us = now_us () - t;
      return;
    }

  /* Steps 3-4 */
  sock_send_byte (s, rc->features);
  if (!ref_read (rc, s, b, 1))
    {
      ref_fail (rc, s, "no feature answer");
      return;
    }
  if (b[0] == 0x46)
    rc->compressed = TRUE;
  else if (b[0] != 0x40)
    {
      ref_fail (rc, s, "feature answer neither 0x40 nor 0x46");
      return;
    }

  /* Step 5 */
  if (!ref_read (rc, s, b, 1))
    {
      ref_fail (rc, s, "no auth byte");
      return;
    }
  if (b[0] == 0x01 || b[0] == 0x02)
    {
      gsize hex_len = b[0] == 0x01 ? 32 : 64;
      guint8 nonce[64];
      g_autofree char *cnonce = random_hex (hex_len);
      g_autofree char *response = NULL;

      if (!ref_read (rc, s, nonce, hex_len))
        {
          ref_fail (rc, s, "short nonce");
          return;
        }
      rc->nonce = g_strndup ((const char *) nonce, hex_len);
      if (rc->password == NULL)
        {
          ref_fail (rc, s, "the device needs a password");
          return;
        }
      response = doc_auth_response (hex_len == 32 ? G_CHECKSUM_MD5 : G_CHECKSUM_SHA256,
                                    rc->password, rc->nonce, cnonce);
      if (rc->upper_case)
        {
          g_autofree char *upper = g_ascii_strup (response, -1);
          g_free (response);
          response = g_steal_pointer (&upper);
        }
      sock_send_all (s, cnonce, hex_len);
      sock_send_all (s, response, hex_len);
      if (!ref_read (rc, s, b, 1))
        {
          ref_fail (rc, s, "no auth result");
          return;
        }
    }
  if (b[0] != 0x41)
    {
      /* 0x82 and close: the test decides whether that was right. */
      rc->eof = sock_drain (s, rc->rx, IO_MS);
      return;
    }

  /* Steps 7-9 */
  payload = rc->compressed ? doc_gzip (rc->image) : g_bytes_ref (rc->image);
  data = g_bytes_get_data (payload, &size);
  size_be[0] = (guint8) (size >> 24);
  size_be[1] = (guint8) (size >> 16);
  size_be[2] = (guint8) (size >> 8);
  size_be[3] = (guint8) size;
  sock_send_all (s, size_be, 4);
  if (!ref_expect (rc, s, 0x42, "prepare"))
    return;
  md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, payload);
  sock_send_all (s, md5, 32);
  if (!ref_expect (rc, s, 0x43, "md5"))
    return;

  /* Step 10: stop-and-wait on each 8192 bytes sent, whatever the write size. */
  n_acks = (guint) ((size + BLOCK - 1) / BLOCK);
  while (sent < size)
    {
      gsize n = MIN (rc->write_size, size - sent);

      if (!sock_send_all (s, data + sent, n))
        {
          ref_fail (rc, s, "write failed mid-data");
          return;
        }
      sent += n;
      while (rc->version == 2 && rc->acks < n_acks && sent >= MIN ((gsize) (rc->acks + 1) * BLOCK, size))
        {
          if (!ref_expect (rc, s, 0x47, "chunk ack"))
            return;
          rc->acks++;
        }
    }

  /* Steps 11-12 */
  if (!ref_expect (rc, s, 0x44, "receive ok"))
    return;
  if (!ref_expect (rc, s, 0x45, "update end ok"))
    return;
  sock_send_byte (s, 0x00);
  rc->completed = TRUE;
  rc->eof = sock_drain (s, rc->rx, 3000);
}

static gboolean
ref_client_mark_done (gpointer user_data)
{
  RefClient *rc = user_data;

  rc->done = TRUE;
  return G_SOURCE_REMOVE;
}

static gpointer
ref_client_thread (gpointer data)
{
  RefClient *rc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) s = connect_loopback (rc->port, &error);

  if (s == NULL)
    rc->failure = g_strdup_printf ("connect: %s", error->message);
  else
    {
      ref_client_session (rc, s);
      g_socket_close (s, NULL);
    }
  g_idle_add (ref_client_mark_done, rc);
  return NULL;
}

/* Runs the reference client in a thread while the simulator runs here. */
static void
run_ref_client (RefClient *rc)
{
  GThread *thread = g_thread_new ("reference-client", ref_client_thread, rc);

  while (!rc->done)
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  if (rc->failure != NULL)
    g_test_message ("reference client: %s", rc->failure);
  {
    g_autofree char *dump = hex_dump (rc->rx->data, rc->rx->len);
    g_test_message ("device sent: %s%s", dump, rc->eof ? " <close>" : "");
  }
}

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Lets the simulator finish its side (upload count, reboot) for up to MS. */
static void
sim_settle (EspySimDevice *sim,
            guint          expected_uploads,
            guint          ms)
{
  gint64 end = now_us () + (gint64) ms * 1000;
  guint tick = g_timeout_add (5, wake_up, NULL);

  while (now_us () < end && espy_sim_device_get_upload_count (sim) < expected_uploads)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
}

static EspySimDevice *
sim_start (EspySimGeneration  generation,
           const char        *platform,
           guint              ota_version,
           const char        *password)
{
  g_autoptr(GError) error = NULL;
  EspySimDevice *sim = espy_sim_device_new ("interop");

  espy_sim_device_set_platform (sim, platform);
  espy_sim_device_set_generation (sim, generation);
  espy_sim_device_set_ota_version (sim, ota_version);
  espy_sim_device_set_password (sim, password);
  espy_sim_device_set_ota_port (sim, 0);
  espy_sim_device_set_boot_ms (sim, 50);
  g_assert_true (espy_sim_device_start (sim, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (espy_sim_device_get_ota_port (sim), !=, 0);
  return sim;
}

static void
sim_finish (EspySimDevice *sim)
{
  espy_sim_device_stop (sim);
  g_object_unref (sim);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* What the doc says the device sends, for a session that gets as far as it may. */
static GByteArray *
doc_expected_rx (guint8      version,
                 guint8      feature_answer,
                 guint8      auth_byte,
                 const char *nonce,
                 int         auth_result,  /* -1: none */
                 gboolean    upload,
                 guint       n_acks)
{
  GByteArray *rx = g_byte_array_new ();
  guint8 hello[3] = { 0x00, version, feature_answer };

  g_byte_array_append (rx, hello, 3);
  g_byte_array_append (rx, &auth_byte, 1);
  if (nonce != NULL)
    g_byte_array_append (rx, (const guint8 *) nonce, (guint) strlen (nonce));
  if (auth_result >= 0)
    {
      guint8 r = (guint8) auth_result;
      g_byte_array_append (rx, &r, 1);
    }
  if (upload)
    {
      static const guint8 ack = 0x47;
      static const guint8 prepared[2] = { 0x42, 0x43 };
      static const guint8 end[2] = { 0x44, 0x45 };

      g_byte_array_append (rx, prepared, 2);
      for (guint i = 0; i < n_acks; i++)
        g_byte_array_append (rx, &ack, 1);
      g_byte_array_append (rx, end, 2);
    }
  return rx;
}

/* B.1 Authentication per generation (step 5) */

typedef enum {
  PW_NONE,        /* no password anywhere */
  PW_EMPTY,       /* the device's password is "": no password */
  PW_RIGHT,
  PW_WRONG,
  PW_UPPER,       /* right password, response in uppercase hex */
} PwCase;

typedef struct {
  EspySimGeneration generation;
  PwCase            pw;
  guint8            flags;
} SimAuthCase;

static SimAuthCase sim_auth_cases[64];

/* The auth byte a device of GENERATION sends, per the doc. */
static guint8
doc_auth_byte (EspySimGeneration generation,
               gboolean          has_password,
               guint8            flags)
{
  if (!has_password)
    return 0x41;
  switch (generation)
    {
    case ESPY_SIM_GENERATION_2024_2:
      return 0x01;
    case ESPY_SIM_GENERATION_2025_10:
      return (flags & 0x02) ? 0x02 : 0x01;
    case ESPY_SIM_GENERATION_2026_1:
      return (flags & 0x02) ? 0x02 : 0x82;
    default:
      g_assert_not_reached ();
    }
}

static void
test_sim_auth (gconstpointer data)
{
  const SimAuthCase *tc = data;
  const char *device_pw = tc->pw == PW_NONE ? NULL : tc->pw == PW_EMPTY ? "" : "s3cret";
  const char *client_pw = tc->pw == PW_NONE || tc->pw == PW_EMPTY ? NULL : tc->pw == PW_WRONG ? "wrong" : "s3cret";
  g_autoptr(GBytes) image = make_image (3 * BLOCK + 100, 31, 0xE9);
  g_autoptr(GByteArray) expected = NULL;
  EspySimDevice *sim = sim_start (tc->generation, "ESP32", 2, device_pw);
  gboolean has_password = device_pw != NULL && *device_pw != '\0';
  guint8 auth = doc_auth_byte (tc->generation, has_password, tc->flags);
  gboolean challenge = auth == 0x01 || auth == 0x02;
  gboolean accepted = FALSE;
  gboolean upload;
  RefClient rc;

  ref_client_init (&rc, espy_sim_device_get_ota_port (sim), image);
  rc.features = tc->flags;
  rc.password = client_pw;
  rc.upper_case = tc->pw == PW_UPPER;
  run_ref_client (&rc);

  if (challenge)
    {
      /* 2024 devices compare the ASCII bytes exactly; 2025.10+ accept either case. */
      accepted = g_strcmp0 (client_pw, device_pw) == 0 &&
                 !(tc->pw == PW_UPPER && tc->generation == ESPY_SIM_GENERATION_2024_2);
      g_assert_true (is_lower_hex (rc.nonce, auth == 0x01 ? 32 : 64));
    }
  upload = auth == 0x41 || accepted;
  expected = doc_expected_rx (2, 0x40, auth, challenge ? rc.nonce : NULL,
                              challenge ? (accepted ? 0x41 : 0x82) : -1,
                              upload, 4);
  sim_settle (sim, upload ? 1 : 0, upload ? 2000 : 100);

  g_assert_cmpmem (rc.rx->data, rc.rx->len, expected->data, expected->len);
  g_assert_true (rc.eof);
  g_assert_cmpint (rc.completed, ==, upload);
  g_assert_cmpuint (espy_sim_device_get_upload_count (sim), ==, upload ? 1 : 0);
  if (upload)
    {
      GBytes *last = espy_sim_device_get_last_image (sim);

      g_assert_nonnull (last);
      g_assert_true (g_bytes_equal (last, image));
    }
  ref_client_clear (&rc);
  sim_finish (sim);
}

/* B.2 Acks (step 10) */

typedef struct {
  gsize size;
  gsize write_size;
  guint ota_version;
} SimAckCase;

static const SimAckCase ack_partial = { 3 * BLOCK + 100, BLOCK, 2 };
static const SimAckCase ack_exact = { 4 * BLOCK, BLOCK, 2 };
static const SimAckCase ack_tiny = { 100, BLOCK, 2 };
static const SimAckCase ack_small_writes = { 3 * BLOCK + 100, 1000, 2 };
static const SimAckCase ack_small_writes_exact = { 3 * BLOCK, 1000, 2 };
static const SimAckCase ack_v1 = { 3 * BLOCK + 100, BLOCK, 1 };
static const SimAckCase ack_v1_small_writes = { 3 * BLOCK + 100, 1000, 1 };

static void
test_sim_acks (gconstpointer data)
{
  const SimAckCase *tc = data;
  g_autoptr(GBytes) image = make_image (tc->size, 32, 0xE9);
  g_autoptr(GByteArray) expected = NULL;
  EspySimDevice *sim = sim_start (ESPY_SIM_GENERATION_2025_10, "ESP32", tc->ota_version, NULL);
  guint n_acks = tc->ota_version == 2 ? (guint) ((tc->size + BLOCK - 1) / BLOCK) : 0;
  GBytes *last;
  RefClient rc;

  ref_client_init (&rc, espy_sim_device_get_ota_port (sim), image);
  rc.write_size = tc->write_size;
  run_ref_client (&rc);
  sim_settle (sim, 1, 2000);

  expected = doc_expected_rx ((guint8) tc->ota_version, 0x40, 0x41, NULL, -1, TRUE, n_acks);
  g_assert_cmpmem (rc.rx->data, rc.rx->len, expected->data, expected->len);
  g_assert_true (rc.completed);
  g_assert_cmpuint (rc.acks, ==, n_acks);
  g_assert_true (rc.eof);
  g_assert_cmpuint (espy_sim_device_get_upload_count (sim), ==, 1);
  last = espy_sim_device_get_last_image (sim);
  g_assert_nonnull (last);
  g_assert_true (g_bytes_equal (last, image));
  ref_client_clear (&rc);
  sim_finish (sim);
}

/* B.3 Compression (step 4): only ESP8266, only when the client offers 0x01. */

typedef struct {
  const char *platform;
  guint8      flags;
} SimCompressCase;

static const SimCompressCase gz_8266_03 = { "ESP8266", 0x03 };
static const SimCompressCase gz_8266_01 = { "ESP8266", 0x01 };
static const SimCompressCase gz_8266_02 = { "ESP8266", 0x02 };
static const SimCompressCase gz_8266_00 = { "ESP8266", 0x00 };
static const SimCompressCase gz_esp32_03 = { "ESP32", 0x03 };

static void
test_sim_compression (gconstpointer data)
{
  const SimCompressCase *tc = data;
  g_autoptr(GBytes) image = make_image (3 * BLOCK + 100, 33, 0xE9);
  g_autoptr(GByteArray) expected = NULL;
  EspySimDevice *sim = sim_start (ESPY_SIM_GENERATION_2025_10, tc->platform, 2, NULL);
  gboolean compress = strcmp (tc->platform, "ESP8266") == 0 && (tc->flags & 0x01);
  gsize wire_size = compress ? 0 : g_bytes_get_size (image);
  GBytes *last;
  RefClient rc;

  if (compress)
    {
      g_autoptr(GBytes) gz = doc_gzip (image);
      wire_size = g_bytes_get_size (gz);
    }
  ref_client_init (&rc, espy_sim_device_get_ota_port (sim), image);
  rc.features = tc->flags;
  run_ref_client (&rc);
  sim_settle (sim, 1, 2000);

  expected = doc_expected_rx (2, compress ? 0x46 : 0x40, 0x41, NULL, -1, TRUE,
                              (guint) ((wire_size + BLOCK - 1) / BLOCK));
  g_assert_cmpmem (rc.rx->data, rc.rx->len, expected->data, expected->len);
  g_assert_cmpint (rc.compressed, ==, compress);
  g_assert_true (rc.completed);
  g_assert_cmpuint (espy_sim_device_get_upload_count (sim), ==, 1);
  /* Stored decompressed */
  last = espy_sim_device_get_last_image (sim);
  g_assert_nonnull (last);
  g_assert_true (g_bytes_equal (last, image));
  ref_client_clear (&rc);
  sim_finish (sim);
}

/* B.4 Wrong magic (step 1), wrong image (step 10) */

static void
test_sim_wrong_magic (void)
{
  static const guint8 expected[] = { 0x80 };
  g_autoptr(GBytes) image = make_image (BLOCK, 34, 0xE9);
  EspySimDevice *sim = sim_start (ESPY_SIM_GENERATION_2025_10, "ESP32", 2, NULL);
  RefClient rc;

  ref_client_init (&rc, espy_sim_device_get_ota_port (sim), image);
  rc.wrong_magic = TRUE;
  run_ref_client (&rc);
  g_assert_cmpmem (rc.rx->data, rc.rx->len, expected, sizeof expected);
  g_assert_true (rc.eof);
  ref_client_clear (&rc);
  sim_finish (sim);
}

static void
test_sim_wrong_image (gconstpointer data)
{
  const char *platform = data;
  gboolean esp8266 = strcmp (platform, "ESP8266") == 0;
  g_autoptr(GBytes) image = make_image (3 * BLOCK + 100, 35, 0x00);
  g_autoptr(GByteArray) expected = doc_expected_rx (2, 0x40, 0x41, NULL, -1, FALSE, 0);
  /* In place of the first ack: 0x80 on ESP-IDF, 0x83 on ESP8266. */
  guint8 tail[3] = { 0x42, 0x43, esp8266 ? 0x83 : 0x80 };
  EspySimDevice *sim = sim_start (ESPY_SIM_GENERATION_2025_10, platform, 2, NULL);
  RefClient rc;

  g_byte_array_append (expected, tail, 3);
  ref_client_init (&rc, espy_sim_device_get_ota_port (sim), image);
  rc.features = 0x02;  /* raw, so the device sees the first byte */
  run_ref_client (&rc);
  sim_settle (sim, 1, 100);
  g_assert_cmpmem (rc.rx->data, rc.rx->len, expected->data, expected->len);
  g_assert_true (rc.eof);
  g_assert_false (rc.completed);
  g_assert_cmpuint (espy_sim_device_get_upload_count (sim), ==, 0);
  ref_client_clear (&rc);
  sim_finish (sim);
}

/* B.5 Device timeouts: 2024 sends 0xFF after 1 s per read; 2025.10+ closes
 * silently at its 20 s handshake deadline. Both scaled down. */

static void
test_sim_handshake_stall (gconstpointer data)
{
  EspySimGeneration generation = GPOINTER_TO_INT (data);
  gboolean gen2024 = generation == ESPY_SIM_GENERATION_2024_2;
  static const guint8 expected_2024[] = { 0x00, 0x02, 0xFF };
  static const guint8 expected_2025[] = { 0x00, 0x02 };
  g_autoptr(GBytes) image = make_image (BLOCK, 36, 0xE9);
  EspySimDevice *sim = espy_sim_device_new ("interop");
  RefClient rc;

  espy_sim_device_set_generation (sim, generation);
  espy_sim_device_set_platform (sim, "ESP32");
  /* 1 s -> 100 ms; 20 s -> 200 ms */
  espy_sim_device_set_timeout_scale (sim, gen2024 ? 10 : 1);
  g_assert_true (espy_sim_device_start (sim, NULL));

  ref_client_init (&rc, espy_sim_device_get_ota_port (sim), image);
  rc.stall_after_version = TRUE;
  run_ref_client (&rc);
  g_test_message ("device ended the stalled session after %" G_GINT64_FORMAT " ms", rc.stall_us / 1000);
  if (gen2024)
    g_assert_cmpmem (rc.rx->data, rc.rx->len, expected_2024, sizeof expected_2024);
  else
    g_assert_cmpmem (rc.rx->data, rc.rx->len, expected_2025, sizeof expected_2025);
  g_assert_true (rc.eof);
  g_assert_cmpint (rc.stall_us, <, 3000 * 1000);
  ref_client_clear (&rc);
  sim_finish (sim);
}

/* B.6 One OTA client at a time: the second hears nothing until the first ends. */

typedef struct {
  guint16     port;
  GByteArray *first;
  GByteArray *second_during;
  GByteArray *second_after;
  char       *failure;
  gboolean    done;
} TwoClients;

static gboolean
mark_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gpointer
two_clients_thread (gpointer data)
{
  TwoClients *tc = data;
  g_autoptr(GSocket) first = connect_loopback (tc->port, NULL);
  g_autoptr(GSocket) second = NULL;
  guint8 buf[4];
  gsize n;

  if (first == NULL)
    {
      tc->failure = g_strdup ("first connect failed");
      g_idle_add (mark_flag, &tc->done);
      return NULL;
    }
  /* First client: through auth, then it pauses (the device waits for the size). */
  sock_send_all (first, doc_magic, 5);
  sock_send_byte (first, 0x03);
  n = sock_read (first, buf, 4, IO_MS, NULL);
  g_byte_array_append (tc->first, buf, (guint) n);

  second = connect_loopback (tc->port, NULL);
  if (second == NULL)
    tc->failure = g_strdup ("second connect failed");
  else
    {
      sock_send_all (second, doc_magic, 5);
      n = sock_read (second, buf, 2, 500, NULL);
      g_byte_array_append (tc->second_during, buf, (guint) n);
    }
  /* The first session ends without an upload (no reboot). */
  g_socket_close (first, NULL);
  if (second != NULL)
    {
      n = sock_read (second, buf, 2, 3000, NULL);
      g_byte_array_append (tc->second_after, buf, (guint) n);
      g_socket_close (second, NULL);
    }
  g_idle_add (mark_flag, &tc->done);
  return NULL;
}

static void
test_sim_second_client (void)
{
  static const guint8 first_expected[] = { 0x00, 0x02, 0x40, 0x41 };
  static const guint8 hello[] = { 0x00, 0x02 };
  EspySimDevice *sim = sim_start (ESPY_SIM_GENERATION_2025_10, "ESP32", 2, NULL);
  TwoClients tc = { espy_sim_device_get_ota_port (sim), g_byte_array_new (), g_byte_array_new (),
                    g_byte_array_new (), NULL, FALSE };
  GThread *thread = g_thread_new ("two-clients", two_clients_thread, &tc);

  while (!tc.done)
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  if (tc.failure != NULL)
    g_test_message ("%s", tc.failure);
  g_assert_null (tc.failure);
  g_assert_cmpmem (tc.first->data, tc.first->len, first_expected, sizeof first_expected);
  /* Accepted by the stack, but silence: no "busy" code. */
  g_assert_cmpuint (tc.second_during->len, ==, 0);
  g_assert_cmpuint (espy_sim_device_get_connection_count (sim), ==, 2);
  /* Once the first session ended, the second is served. */
  g_assert_cmpmem (tc.second_after->data, tc.second_after->len, hello, sizeof hello);
  g_byte_array_unref (tc.first);
  g_byte_array_unref (tc.second_during);
  g_byte_array_unref (tc.second_after);
  g_free (tc.failure);
  sim_finish (sim);
}

/* ------------------------------------------------------------------------ */

static const char *
generation_name (EspySimGeneration generation)
{
  switch (generation)
    {
    case ESPY_SIM_GENERATION_2024_2:
      return "2024_2";
    case ESPY_SIM_GENERATION_2025_10:
      return "2025_10";
    case ESPY_SIM_GENERATION_2026_1:
      return "2026_1";
    default:
      g_assert_not_reached ();
    }
}

static void
add_sim_auth_tests (void)
{
  static const struct {
    PwCase      pw;
    guint8      flags;
    const char *name;
  } cases[] = {
    { PW_NONE, 0x03, "nopass" },
    { PW_NONE, 0x01, "nopass-flags-01" },
    { PW_NONE, 0x00, "nopass-flags-00" },
    { PW_EMPTY, 0x01, "empty-password" },
    { PW_RIGHT, 0x03, "right" },
    { PW_RIGHT, 0x02, "right-flags-02" },
    { PW_WRONG, 0x03, "wrong" },
    { PW_RIGHT, 0x01, "no-sha256-flag" },
    { PW_UPPER, 0x03, "uppercase-response" },
  };
  static const EspySimGeneration generations[] = {
    ESPY_SIM_GENERATION_2024_2, ESPY_SIM_GENERATION_2025_10, ESPY_SIM_GENERATION_2026_1,
  };
  guint n = 0;

  for (guint g = 0; g < G_N_ELEMENTS (generations); g++)
    for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
      {
        g_autofree char *path = g_strdup_printf ("/interop/sim/auth/%s/%s",
                                                 generation_name (generations[g]), cases[c].name);

        g_assert_cmpuint (n, <, G_N_ELEMENTS (sim_auth_cases));
        sim_auth_cases[n].generation = generations[g];
        sim_auth_cases[n].pw = cases[c].pw;
        sim_auth_cases[n].flags = cases[c].flags;
        g_test_add_data_func (path, &sim_auth_cases[n], test_sim_auth);
        n++;
      }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/interop/self-check", test_self_check);

  /* A. The client against the doc */
  g_test_add_data_func ("/interop/client/upload/v2-partial", &upload_v2_partial, test_client_upload);
  g_test_add_data_func ("/interop/client/upload/v2-exact", &upload_v2_exact, test_client_upload);
  g_test_add_data_func ("/interop/client/upload/v2-tiny", &upload_v2_tiny, test_client_upload);
  g_test_add_data_func ("/interop/client/upload/md5-auth", &upload_md5, test_client_upload);
  g_test_add_data_func ("/interop/client/upload/sha256-auth", &upload_sha256, test_client_upload);
  g_test_add_data_func ("/interop/client/upload/v1", &upload_v1, test_client_upload);
  g_test_add_data_func ("/interop/client/upload/v1-md5-auth", &upload_v1_md5, test_client_upload);
  g_test_add_data_func ("/interop/client/upload/compressed", &upload_gzip, test_client_upload);
  g_test_add_data_func ("/interop/client/upload/compressed-v1-sha256", &upload_gzip_v1_sha, test_client_upload);
  g_test_add_func ("/interop/client/timing/prompt-answers", test_client_prompt_answers);
  g_test_add_func ("/interop/client/window/stop-and-wait", test_client_stop_and_wait);
  g_test_add_func ("/interop/client/window/pipelined-faster", test_client_window);
  g_test_add_func ("/interop/client/auth/rejected", test_client_password_rejected);
  g_test_add_data_func ("/interop/client/auth/password-required-md5", GINT_TO_POINTER (FALSE),
                        test_client_password_required);
  g_test_add_data_func ("/interop/client/auth/password-required-sha256", GINT_TO_POINTER (TRUE),
                        test_client_password_required);
  g_test_add_func ("/interop/client/auth/sha256-required", test_client_sha256_required);
  g_test_add_data_func ("/interop/client/check/right", "s3cret", test_client_check);
  g_test_add_data_func ("/interop/client/check/wrong", "nope", test_client_check);
  g_test_add_func ("/interop/client/version/unsupported", test_client_unsupported_version);
  g_test_add_data_func ("/interop/client/device-error/prepare-81", &error_prepare_81, test_client_device_error);
  g_test_add_data_func ("/interop/client/device-error/prepare-88", &error_prepare_88, test_client_device_error);
  g_test_add_data_func ("/interop/client/device-error/data-83", &error_data_83, test_client_device_error);
  g_test_add_data_func ("/interop/client/device-error/first-ack-80", &error_first_ack_80, test_client_device_error);
  g_test_add_data_func ("/interop/client/device-error/end-84", &error_end_84, test_client_device_error);
  g_test_add_data_func ("/interop/client/device-error/end-8B", &error_end_8b, test_client_device_error);
  g_test_add_data_func ("/interop/client/device-error/end-FF", &error_end_ff, test_client_device_error);
  g_test_add_data_func ("/interop/client/device-error/end-93", &error_end_93, test_client_device_error);
  g_test_add_data_func ("/interop/client/zero-is-not-ok/md5", &zero_md5, test_client_zero_is_not_ok);
  g_test_add_data_func ("/interop/client/zero-is-not-ok/ack", &zero_ack, test_client_zero_is_not_ok);
  g_test_add_data_func ("/interop/client/zero-is-not-ok/receive", &zero_receive, test_client_zero_is_not_ok);
  g_test_add_data_func ("/interop/client/zero-is-not-ok/end", &zero_end, test_client_zero_is_not_ok);
  g_test_add_data_func ("/interop/client/closed/instead-of-version", &close_at_version, test_client_closed);
  g_test_add_data_func ("/interop/client/closed/instead-of-auth", &close_at_auth, test_client_closed);
  g_test_add_func ("/interop/client/timeout/handshake", test_client_timeout_handshake);
  g_test_add_func ("/interop/client/timeout/prepare", test_client_timeout_prepare);
  g_test_add_func ("/interop/client/retry/refused", test_client_refused);
  g_test_add_func ("/interop/client/retry/reaches-late-device", test_client_retry_reaches_device);

  /* B. The simulator against the doc */
  add_sim_auth_tests ();
  g_test_add_data_func ("/interop/sim/acks/partial", &ack_partial, test_sim_acks);
  g_test_add_data_func ("/interop/sim/acks/exact", &ack_exact, test_sim_acks);
  g_test_add_data_func ("/interop/sim/acks/tiny", &ack_tiny, test_sim_acks);
  g_test_add_data_func ("/interop/sim/acks/small-writes", &ack_small_writes, test_sim_acks);
  g_test_add_data_func ("/interop/sim/acks/small-writes-exact", &ack_small_writes_exact, test_sim_acks);
  g_test_add_data_func ("/interop/sim/acks/v1", &ack_v1, test_sim_acks);
  g_test_add_data_func ("/interop/sim/acks/v1-small-writes", &ack_v1_small_writes, test_sim_acks);
  g_test_add_data_func ("/interop/sim/compression/esp8266-flags-03", &gz_8266_03, test_sim_compression);
  g_test_add_data_func ("/interop/sim/compression/esp8266-flags-01", &gz_8266_01, test_sim_compression);
  g_test_add_data_func ("/interop/sim/compression/esp8266-flags-02", &gz_8266_02, test_sim_compression);
  g_test_add_data_func ("/interop/sim/compression/esp8266-flags-00", &gz_8266_00, test_sim_compression);
  g_test_add_data_func ("/interop/sim/compression/esp32-flags-03", &gz_esp32_03, test_sim_compression);
  g_test_add_func ("/interop/sim/wrong-magic", test_sim_wrong_magic);
  g_test_add_data_func ("/interop/sim/wrong-image/esp32", "ESP32", test_sim_wrong_image);
  g_test_add_data_func ("/interop/sim/wrong-image/esp8266", "ESP8266", test_sim_wrong_image);
  g_test_add_data_func ("/interop/sim/stall/2024_2-sends-FF", GINT_TO_POINTER (ESPY_SIM_GENERATION_2024_2),
                        test_sim_handshake_stall);
  g_test_add_data_func ("/interop/sim/stall/2025_10-closes-silently", GINT_TO_POINTER (ESPY_SIM_GENERATION_2025_10),
                        test_sim_handshake_stall);
  g_test_add_func ("/interop/sim/second-client", test_sim_second_client);

  return g_test_run ();
}
