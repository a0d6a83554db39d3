/* logs.c: how many log lines per second go through the native API client
 * and the parser (EspyLogSession), plaintext and Noise, from a device that
 * logs as fast as its socket takes; the same through the logs view (buffer
 * and GtkTextBuffer) when a display is there; and the memory after
 * 1,000,000 lines with the default bounded buffer.
 *
 * The device is a minimal scripted one in a thread (Hello, Connect,
 * DeviceInfo, SubscribeLogs, then log frames written in batches), so the
 * figures are the client's.
 *
 *   bench-logs [LINES]     default 200000 per run, 1000000 for memory
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gtk/gtk.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "espy-api-client.h"
#include "espy-api-frame.h"
#include "espy-log-buffer.h"
#include "espy-log-session.h"
#include "espy-logs-view.h"
#include "espy-noise.h"

#define KEY "QRTIErOb/fcE9Ukd/5qA3RGYMn0Y+p06U58SCtOXvPc="

/* --- the device --------------------------------------------------------------- */

typedef struct {
  GSocket *listener;
  guint16 port;
  const char *key;
  guint64 lines;
  GThread *thread;
  GSocket *sock;
  GByteArray *rx;
  EspyNoiseCipher *send;
  EspyNoiseCipher *recv;
  /* Sending stops at hold_at until the main thread moves it. */
  GMutex lock;
  GCond cond;
  guint64 hold_at;
} Dev;

static void
dev_hold_until (Dev     *dev,
                guint64  sent)
{
  g_mutex_lock (&dev->lock);
  while (sent >= dev->hold_at)
    g_cond_wait (&dev->cond, &dev->lock);
  g_mutex_unlock (&dev->lock);
}

static void
dev_release (Dev     *dev,
             guint64  hold_at)
{
  g_mutex_lock (&dev->lock);
  dev->hold_at = hold_at;
  g_cond_signal (&dev->cond);
  g_mutex_unlock (&dev->lock);
}

static void
dev_send (Dev          *dev,
          const guint8 *data,
          gsize         len)
{
  gsize sent = 0;

  while (sent < len)
    {
      gssize n = g_socket_send (dev->sock, (const char *) data + sent, len - sent, NULL, NULL);

      if (n <= 0)
        return;
      sent += (gsize) n;
    }
}

static void
dev_fill (Dev *dev)
{
  guint8 buf[4096];
  gssize n = g_socket_receive (dev->sock, (char *) buf, sizeof buf, NULL, NULL);

  g_assert_cmpint (n, >, 0);
  g_byte_array_append (dev->rx, buf, (guint) n);
}

static GBytes *
dev_noise_body (Dev *dev)
{
  EspyApiFrame frame;
  GBytes *body;

  while (espy_api_frame_decode_noise (dev->rx->data, dev->rx->len, 65535, &frame) != ESPY_API_FRAME_COMPLETE)
    dev_fill (dev);
  body = g_bytes_new (frame.data, frame.len);
  g_byte_array_remove_range (dev->rx, 0, (guint) frame.frame_len);
  return body;
}

static guint32
dev_read_msg (Dev *dev)
{
  EspyApiFrame frame;
  guint32 type;

  if (dev->key != NULL)
    {
      g_autoptr(GBytes) body = dev_noise_body (dev);
      g_autoptr(GByteArray) plain = g_byte_array_new ();
      const guint8 *payload;
      gsize len;

      g_assert_true (espy_noise_cipher_decrypt (dev->recv, NULL, 0, g_bytes_get_data (body, NULL),
                                                g_bytes_get_size (body), plain, NULL));
      g_assert_true (espy_api_noise_message_decode (plain->data, plain->len, &type, &payload, &len));
      return type;
    }
  while (espy_api_frame_decode_plaintext (dev->rx->data, dev->rx->len, 32768, &frame) != ESPY_API_FRAME_COMPLETE)
    dev_fill (dev);
  type = frame.type;
  g_byte_array_remove_range (dev->rx, 0, (guint) frame.frame_len);
  return type;
}

static void
dev_append_msg (Dev                    *dev,
                GByteArray             *out,
                const ProtobufCMessage *msg)
{
  if (dev->key == NULL)
    espy_api_message_append_plaintext (out, msg);
  else
    {
      g_autoptr(GByteArray) plain = g_byte_array_new ();
      g_autoptr(GByteArray) body = g_byte_array_new ();

      espy_api_message_append_noise (plain, msg);
      espy_noise_cipher_encrypt (dev->send, NULL, 0, plain->data, plain->len, body, NULL);
      espy_api_frame_encode_noise (out, body->data, body->len);
    }
}

static void
dev_handshake (Dev *dev)
{
  g_autoptr(GBytes) hello = dev_noise_body (dev);
  g_autoptr(GBytes) msg = dev_noise_body (dev);
  g_autoptr(GByteArray) prologue = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(EspyNoiseHandshake) hs = NULL;
  guint8 psk[32];
  const guint8 ok = 0;

  espy_api_parse_key (dev->key, psk, NULL);
  espy_api_noise_prologue (prologue, NULL, 0);
  hs = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, psk, prologue->data, prologue->len);
  g_assert_true (espy_noise_handshake_read_message (hs, (const guint8 *) g_bytes_get_data (msg, NULL) + 1,
                                                    g_bytes_get_size (msg) - 1, NULL, NULL));
  espy_api_noise_server_hello_encode (body, "bench", "acbc32890ea9");
  espy_api_frame_encode_noise (out, body->data, body->len);
  g_byte_array_set_size (body, 0);
  g_byte_array_append (body, &ok, 1);
  espy_noise_handshake_write_message (hs, NULL, 0, body, NULL);
  espy_api_frame_encode_noise (out, body->data, body->len);
  espy_noise_handshake_split (hs, &dev->send, &dev->recv, NULL);
  dev_send (dev, out->data, out->len);
}

/* Lines like a busy device's: sensors, a task marker now and then, a secret. */
static const char *const samples[] = {
  "\033[0;36m[D][sensor:094]: 'Temperature': Sending state 21.50000 °C with 1 decimals of accuracy\033[0m",
  "\033[0;32m[I][wifi:425]: WiFi signal \033[5mhome-net\033[6m -61 dBm\033[0m",
  "\033[0;36m[D][sensor:094]\033[1;31m[loopTask]\033[0;36m: 'WiFi Signal': Sending state -61.00000 dBm\033[0m",
  "\033[0;37m[V][api.connection:1120]: Sending keepalive PING\033[0m",
};

static gpointer
dev_thread (gpointer data)
{
  Dev *dev = data;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint64 sent = 0;

  dev->sock = g_socket_accept (dev->listener, NULL, NULL);
  g_assert_nonnull (dev->sock);
  g_socket_set_option (dev->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  if (dev->key != NULL)
    dev_handshake (dev);

  for (;;)
    {
      guint32 type = dev_read_msg (dev);

      g_byte_array_set_size (out, 0);
      if (type == ESPY_API_MSG_HELLO_REQUEST)
        {
          EspyApi__HelloResponse r = ESPY_API__HELLO_RESPONSE__INIT;

          r.api_version_major = 1;
          r.api_version_minor = 13;
          r.name = (char *) "bench";
          r.server_info = (char *) "bench";
          dev_append_msg (dev, out, &r.base);
        }
      else if (type == ESPY_API_MSG_CONNECT_REQUEST)
        {
          EspyApi__ConnectResponse r = ESPY_API__CONNECT_RESPONSE__INIT;

          dev_append_msg (dev, out, &r.base);
        }
      else if (type == ESPY_API_MSG_DEVICE_INFO_REQUEST)
        {
          EspyApi__DeviceInfoResponse r = ESPY_API__DEVICE_INFO_RESPONSE__INIT;

          r.name = (char *) "bench";
          r.esphome_version = (char *) "2025.10.1";
          dev_append_msg (dev, out, &r.base);
        }
      else if (type == ESPY_API_MSG_SUBSCRIBE_LOGS_REQUEST)
        break;
      dev_send (dev, out->data, out->len);
    }

  /* As fast as the socket takes it, 64 frames per write. */
  while (sent < dev->lines)
    {
      dev_hold_until (dev, sent);
      g_byte_array_set_size (out, 0);
      for (guint i = 0; i < 64 && sent < dev->lines && sent < dev->hold_at; i++, sent++)
        {
          EspyApi__SubscribeLogsResponse r = ESPY_API__SUBSCRIBE_LOGS_RESPONSE__INIT;
          const char *line = samples[sent % G_N_ELEMENTS (samples)];

          r.level = ESPY_API__LOG_LEVEL__LOG_LEVEL_DEBUG;
          r.message.data = (guint8 *) line;
          r.message.len = strlen (line);
          dev_append_msg (dev, out, &r.base);
        }
      dev_send (dev, out->data, out->len);
    }
  /* Keep the connection until the client has read everything. */
  while (g_socket_condition_timed_wait (dev->sock, G_IO_IN, 30 * G_USEC_PER_SEC, NULL, NULL))
    {
      guint8 buf[512];

      if (g_socket_receive (dev->sock, (char *) buf, sizeof buf, NULL, NULL) <= 0)
        break;
    }
  return NULL;
}

static Dev *
dev_start (const char *key,
           guint64     lines)
{
  Dev *dev = g_new0 (Dev, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  dev->key = key;
  dev->lines = lines;
  dev->hold_at = G_MAXUINT64;
  g_mutex_init (&dev->lock);
  g_cond_init (&dev->cond);
  dev->rx = g_byte_array_new ();
  dev->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_socket_bind (dev->listener, addr, TRUE, NULL);
  g_socket_listen (dev->listener, NULL);
  bound = g_socket_get_local_address (dev->listener, NULL);
  dev->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  dev->thread = g_thread_new ("bench-device", dev_thread, dev);
  return dev;
}

static void
dev_free (Dev *dev)
{
  if (dev->sock != NULL)
    g_socket_close (dev->sock, NULL);
  g_thread_join (dev->thread);
  g_clear_object (&dev->sock);
  g_clear_object (&dev->listener);
  g_byte_array_unref (dev->rx);
  g_clear_pointer (&dev->send, espy_noise_cipher_free);
  g_clear_pointer (&dev->recv, espy_noise_cipher_free);
  g_mutex_clear (&dev->lock);
  g_cond_clear (&dev->cond);
  g_free (dev);
}

/* --- measuring ----------------------------------------------------------------- */

typedef struct {
  guint64 received;
  guint64 expected;
  gint64 first_us;
  gint64 last_us;
  EspyLogBuffer *buffer;   /* when not NULL, lines go in */
  guint next_checkpoint;   /* index in checkpoints[] */
} Count;

/* Where the memory is printed during a run of 1,000,000 lines: bounded means
 * flat between the last two. */
static const guint64 checkpoints[] = { 200000, 500000, 1000000 };

static void
on_line (EspyLogSession *session,
         EspyLogLine    *line,
         const char     *raw,
         Count          *c)
{
  if (c->received++ == 0)
    c->first_us = g_get_monotonic_time ();
  c->last_us = g_get_monotonic_time ();
  if (c->buffer != NULL)
    espy_log_buffer_append (c->buffer, raw, line, 0);
}

static guint64
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  p = strstr (status, "VmRSS:");
  return p != NULL ? g_ascii_strtoull (p + 6, NULL, 10) : 0;
}

/* Bytes malloc hands out now: what the program holds, without the pages
 * free()d memory keeps in the heap. */
static guint64
heap_kib (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return (guint64) ((info.uordblks + info.hblkhd) / 1024);
}

static void
print_checkpoint (guint64 lines,
                  guint64 rss_before,
                  guint64 heap_before)
{
  printf ("  after %7" G_GUINT64_FORMAT " lines: RSS %+" G_GINT64_FORMAT " KiB, heap in use %+" G_GINT64_FORMAT
          " KiB\n", lines, (gint64) rss_kib () - (gint64) rss_before, (gint64) heap_kib () - (gint64) heap_before);
  fflush (stdout);
}

static void
settle_idle (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
wake_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Until the text shows every buffered line, then a moment more for the text
 * view to measure them between frames, as it does when a device pauses. */
static void
settle_view (GtkWidget *window)
{
  EspyLogsView *view = ESPY_LOGS_VIEW (gtk_window_get_child (GTK_WINDOW (window)));
  GtkTextBuffer *text = gtk_text_view_get_buffer (espy_logs_view_get_text_view (view));
  EspyLogBuffer *buffer = espy_logs_view_get_buffer (view);
  gboolean done = FALSE;

  while ((guint) gtk_text_buffer_get_line_count (text) != espy_log_buffer_get_n_lines (buffer) + 1)
    g_main_context_iteration (NULL, TRUE);
  g_timeout_add (300, wake_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Lines per second through the session (client + parser), optionally into
 * BUFFER or a logs view. */
static double
run (const char    *key,
     guint64        lines,
     EspyLogBuffer *buffer,
     GtkWidget    **view_out)
{
  Dev *dev = dev_start (key, lines);
  g_autoptr(EspyLogSession) session = espy_log_session_new ("bench", "127.0.0.1", dev->port);
  Count c = { 0, lines, 0, 0, buffer, 0 };
  guint64 rss_before = rss_kib (), heap_before = heap_kib ();
  double rate;

  espy_log_session_set_use_keyring (session, FALSE);
  if (key != NULL)
    espy_log_session_set_key (session, key, NULL);
  g_signal_connect (session, "line", G_CALLBACK (on_line), &c);
  if (view_out != NULL)
    {
      GtkWidget *window = gtk_window_new ();
      GtkWidget *view = espy_logs_view_new_for_session (session, 0);

      gtk_window_set_default_size (GTK_WINDOW (window), 900, 600);
      gtk_window_set_child (GTK_WINDOW (window), view);
      gtk_window_present (GTK_WINDOW (window));  /* mapping starts the session */
      *view_out = window;
    }
  else
    espy_log_session_start (session);

  /* With the view, the device pauses at each checkpoint so that the text
   * catches up (a flood gives it no frames) before the memory is read; the
   * pauses are not counted in the rate. */
  if (lines >= checkpoints[G_N_ELEMENTS (checkpoints) - 1] && view_out != NULL)
    dev_release (dev, checkpoints[0]);
  while (c.received < lines)
    {
      g_main_context_iteration (NULL, TRUE);
      if (c.next_checkpoint < G_N_ELEMENTS (checkpoints) && lines >= checkpoints[G_N_ELEMENTS (checkpoints) - 1] &&
          c.received >= checkpoints[c.next_checkpoint] && c.received < lines)
        {
          gint64 paused = g_get_monotonic_time ();

          if (view_out != NULL)
            settle_view (*view_out);
          print_checkpoint (checkpoints[c.next_checkpoint++], rss_before, heap_before);
          c.first_us += g_get_monotonic_time () - paused;
          if (view_out != NULL)
            dev_release (dev, c.next_checkpoint < G_N_ELEMENTS (checkpoints) ? checkpoints[c.next_checkpoint]
                                                                            : G_MAXUINT64);
        }
    }
  /* The view renders frame by frame after a flood: count until it has. */
  if (view_out != NULL)
    settle_view (*view_out);
  settle_idle ();
  if (view_out != NULL)
    {
      GtkWidget *view = gtk_window_get_child (GTK_WINDOW (*view_out));
      GtkTextBuffer *text = gtk_text_view_get_buffer (espy_logs_view_get_text_view (ESPY_LOGS_VIEW (view)));

      c.last_us = g_get_monotonic_time ();
      printf ("view: %d text lines for %u buffered\n", gtk_text_buffer_get_line_count (text),
              espy_log_buffer_get_n_lines (espy_logs_view_get_buffer (ESPY_LOGS_VIEW (view))));
    }
  if (lines >= checkpoints[G_N_ELEMENTS (checkpoints) - 1])
    print_checkpoint (lines, rss_before, heap_before);
  rate = (double) (c.received - 1) / ((double) (c.last_us - c.first_us) / G_USEC_PER_SEC);
  espy_log_session_stop (session);
  dev_free (dev);
  return rate;
}

int
main (int   argc,
      char *argv[])
{
  guint64 lines = argc > 1 ? g_ascii_strtoull (argv[1], NULL, 10) : 200000;
  gboolean display;
  double plain, noise;
  guint64 rss_before, rss_after;

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", FALSE);
  /* As the UI tests: GTK 4.8 sends an AT-SPI text-changed event (with the
   * text) per insertion when a bridge is up; measure the view itself.
   * NO_AT_BRIDGE=0 in the environment measures with the bridge. */
  g_setenv ("NO_AT_BRIDGE", "1", FALSE);
  display = gtk_init_check ();

  printf ("# logs benchmark: %" G_GUINT64_FORMAT " lines per run\n", lines);
  /* "bench-logs N view": only the view, N lines (for profiling). */
  if (argc > 2 && g_str_equal (argv[2], "view") && display)
    {
      GtkWidget *window = NULL;

      guint64 before = rss_kib ();

      printf ("logs view: %.0f lines/s\n", run (KEY, lines, NULL, &window));
      printf ("RSS +%" G_GUINT64_FORMAT " KiB", rss_kib () - before);
      malloc_trim (0);
      printf (", +%" G_GUINT64_FORMAT " KiB after malloc_trim\n", rss_kib () - before);
      gtk_window_destroy (GTK_WINDOW (window));
      return 0;
    }
  plain = run (NULL, lines, NULL, NULL);
  printf ("client+parser plaintext: %.0f lines/s\n", plain);
  noise = run (KEY, lines, NULL, NULL);
  printf ("client+parser noise:     %.0f lines/s\n", noise);

  {
    g_autoptr(EspyLogBuffer) buffer = espy_log_buffer_new (0);
    double rate;

    rss_before = rss_kib ();
    rate = run (KEY, 1000000, buffer, NULL);
    rss_after = rss_kib ();
    printf ("client+parser+buffer noise, 1,000,000 lines: %.0f lines/s\n", rate);
    printf ("buffer: %u lines kept (max %u), %" G_GUINT64_FORMAT " dropped\n",
            espy_log_buffer_get_n_lines (buffer), espy_log_buffer_get_max_lines (buffer),
            espy_log_buffer_get_n_dropped (buffer));
    printf ("RSS: %" G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT " KiB after 1,000,000 lines "
            "(+%" G_GUINT64_FORMAT " KiB)\n", rss_before, rss_after, rss_after - rss_before);
  }

  if (!display)
    {
      printf ("logs view: skipped (no display)\n");
      return 0;
    }

  {
    GtkWidget *window = NULL;
    double rate;
    guint64 view_lines = 1000000;

    rss_before = rss_kib ();
    rate = run (KEY, view_lines, NULL, &window);
    rss_after = rss_kib ();
    printf ("client+parser+logs view noise, %" G_GUINT64_FORMAT " lines: %.0f lines/s\n", view_lines, rate);
    printf ("RSS with the view: %" G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT " KiB after (+%"
            G_GUINT64_FORMAT " KiB)\n", rss_before, rss_after, rss_after - rss_before);
    gtk_window_destroy (GTK_WINDOW (window));
  }
  return 0;
}
