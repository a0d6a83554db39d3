/* ota-throughput.c: how fast the OTA client uploads over a link with a real
 * round-trip time, stop-and-wait against the pipelined default window, and
 * how close it gets to a device whose flash is the bottleneck.
 *
 * An in-process simulated ESP32 (2025.10, OTA v2, no password) sits behind
 * an EspyTcpRelay that delays each direction. Exits 1 when a target is missed
 * (default window < 3x stop-and-wait, or flash-bound rate off the flash rate
 * by more than 10%), 2 when an upload fails.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>

#include <gio/gio.h>

#include "espy-firmware-image.h"
#include "espy-ota-client.h"
#include "espy-sim-device.h"
#include "espy-tcp-relay.h"

#define MIB (1024.0 * 1024.0)
#define SPEEDUP_TARGET 3.0
#define FLASH_TOLERANCE 0.10
#define UPLOAD_LIMIT_S 300

static gint    opt_delay_ms = ESPY_TCP_RELAY_DEFAULT_DELAY_MS;
static gint64  opt_size = 1572864;
static gint    opt_window = ESPY_OTA_DEFAULT_WINDOW;
static gint64  opt_flash_rate = 200000;
static gint64  opt_flash_size = 786432;
static gint64  opt_link_rate = 0;
static gint    opt_runs = 3;
static gint    opt_boot_ms = 100;

typedef struct {
  GMainLoop *loop;
  gboolean   ok;
  GError    *error;
  gint64     t_start;
  gint64     t_upload;   /* first data block */
  gint64     t_verify;   /* last block acknowledged */
  gint64     t_end;
} Upload;

typedef struct {
  double data_s;   /* data phase: first block to last ack */
  double total_s;  /* connect to end acknowledgement */
  double rate;     /* bytes/s over the data phase */
  double client_rate;
} Result;

typedef struct {
  EspySimDevice *sim;
  gboolean       saw_reboot;
} Device;

static void
on_stage_changed (EspyOtaClient *client,
                  guint          stage,
                  gpointer       user_data)
{
  Upload *up = user_data;

  if (stage == ESPY_OTA_STAGE_UPLOAD && up->t_upload == 0)
    up->t_upload = g_get_monotonic_time ();
  else if (stage == ESPY_OTA_STAGE_VERIFY && up->t_verify == 0)
    up->t_verify = g_get_monotonic_time ();
}

static void
upload_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Upload *up = user_data;

  up->t_end = g_get_monotonic_time ();
  up->ok = espy_ota_client_upload_finish (ESPY_OTA_CLIENT (source), result, &up->error);
  g_main_loop_quit (up->loop);
}

static gboolean
upload_too_slow (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
on_sim_state_changed (EspySimDevice *sim,
                      guint          state,
                      gpointer       user_data)
{
  Device *device = user_data;

  if (state == ESPY_SIM_STATE_REBOOTING)
    device->saw_reboot = TRUE;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
sleep_on_loop (guint ms)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_timeout_add (ms, quit_loop, loop);
  g_main_loop_run (loop);
}

/* The device reboots about 100 ms after the end acknowledgement and stays
 * away for its boot time: wait for it to go and to come back. */
static gboolean
wait_for_reboot (Device *device)
{
  gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  while (!device->saw_reboot && g_get_monotonic_time () < deadline)
    sleep_on_loop (5);
  if (!device->saw_reboot)
    g_printerr ("ota-throughput: the simulator never entered REBOOTING after an upload\n");

  deadline = g_get_monotonic_time () + (opt_boot_ms + 10000) * (gint64) 1000;
  while (espy_sim_device_get_state (device->sim) != ESPY_SIM_STATE_RUNNING)
    {
      if (g_get_monotonic_time () >= deadline)
        {
          g_printerr ("ota-throughput: the simulator did not come back (state %d)\n",
                      espy_sim_device_get_state (device->sim));
          return FALSE;
        }
      sleep_on_loop (5);
    }
  device->saw_reboot = FALSE;
  return TRUE;
}

static gboolean
upload_once (Device            *device,
             EspyFirmwareImage *image,
             guint16            port,
             guint              window,
             Result            *result)
{
  g_autoptr(EspyOtaClient) client = espy_ota_client_new ("127.0.0.1", port);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GBytes *received;  /* the simulator's, not ours */
  Upload up = { .loop = loop };
  guint uploads_before = espy_sim_device_get_upload_count (device->sim);
  guint timeout_id;
  gsize size = espy_firmware_image_get_size (image);

  espy_ota_client_set_window (client, window);
  /* A retry would hide a failure and skew the time. */
  espy_ota_client_set_retries (client, 0, 0);
  g_signal_connect (client, "stage-changed", G_CALLBACK (on_stage_changed), &up);

  timeout_id = g_timeout_add_seconds (UPLOAD_LIMIT_S, upload_too_slow, cancellable);
  up.t_start = g_get_monotonic_time ();
  espy_ota_client_upload_async (client, image, cancellable, upload_done, &up);
  g_main_loop_run (loop);
  if (!g_cancellable_is_cancelled (cancellable))
    g_source_remove (timeout_id);

  if (!up.ok)
    {
      g_printerr ("ota-throughput: upload failed in stage %s (device code %d): %s\n",
                  espy_ota_stage_to_nick (espy_ota_client_get_failed_stage (client)),
                  espy_ota_client_get_device_code (client),
                  up.error ? up.error->message : "no error set");
      g_clear_error (&up.error);
      return FALSE;
    }
  if (up.t_upload == 0 || up.t_verify == 0)
    {
      g_printerr ("ota-throughput: the client never reported the upload/verify stages\n");
      return FALSE;
    }

  result->data_s = (double) (up.t_verify - up.t_upload) / G_USEC_PER_SEC;
  result->total_s = (double) (up.t_end - up.t_start) / G_USEC_PER_SEC;
  result->rate = (double) size / result->data_s;
  result->client_rate = espy_ota_client_get_rate (client);

  if (!wait_for_reboot (device))
    return FALSE;

  /* A fast upload of the wrong bytes is no result. */
  if (espy_sim_device_get_upload_count (device->sim) != uploads_before + 1)
    {
      g_printerr ("ota-throughput: the simulator counted %u successful uploads, expected %u\n",
                  espy_sim_device_get_upload_count (device->sim), uploads_before + 1);
      return FALSE;
    }
  received = espy_sim_device_get_last_image (device->sim);
  if (received == NULL || !g_bytes_equal (received, espy_firmware_image_get_bytes (image)))
    {
      g_printerr ("ota-throughput: the simulator's image differs from the one sent\n");
      return FALSE;
    }
  return TRUE;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof *values, compare_double);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Runs opt_runs uploads of IMAGE with WINDOW against a fresh device whose
 * flash takes FLASH_RATE bytes/s (0 = unlimited); puts the median data-phase
 * rate in *RATE. */
static gboolean
run_config (const char        *label,
            EspyFirmwareImage *image,
            guint              window,
            guint64            flash_rate,
            double            *rate)
{
  g_autoptr(EspySimDevice) sim = espy_sim_device_new ("bench");
  g_autoptr(EspyTcpRelay) relay = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree double *rates = g_new0 (double, opt_runs);
  g_autofree double *times = g_new0 (double, opt_runs);
  Device device = { .sim = sim };
  gsize size = espy_firmware_image_get_size (image);
  gboolean ok = TRUE;

  espy_sim_device_set_platform (sim, "ESP32");
  espy_sim_device_set_generation (sim, ESPY_SIM_GENERATION_2025_10);
  espy_sim_device_set_ota_version (sim, 2);
  espy_sim_device_set_boot_ms (sim, (guint) opt_boot_ms);
  espy_sim_device_set_flash_rate (sim, flash_rate);
  g_signal_connect (sim, "state-changed", G_CALLBACK (on_sim_state_changed), &device);
  if (!espy_sim_device_start (sim, &error))
    {
      g_printerr ("ota-throughput: starting the simulator: %s\n", error->message);
      return FALSE;
    }

  relay = espy_tcp_relay_new ("127.0.0.1", espy_sim_device_get_ota_port (sim), (guint) opt_delay_ms);
  espy_tcp_relay_set_rate_limit (relay, (guint64) opt_link_rate);
  if (!espy_tcp_relay_start (relay, &error))
    {
      g_printerr ("ota-throughput: starting the relay: %s\n", error->message);
      espy_sim_device_stop (sim);
      return FALSE;
    }

  for (gint i = 0; i < opt_runs && ok; i++)
    {
      Result result = { 0 };

      ok = upload_once (&device, image, espy_tcp_relay_get_port (relay), window, &result);
      if (!ok)
        break;
      rates[i] = result.rate;
      times[i] = result.data_s;
      g_print ("ota-throughput: %-24s run %d/%d  %.2f MiB in %.2f s = %.2f MiB/s"
               "  (client says %.2f MiB/s; %.2f s with handshake)\n",
               label, i + 1, opt_runs, size / MIB, result.data_s, result.rate / MIB,
               result.client_rate / MIB, result.total_s);
    }

  espy_tcp_relay_stop (relay);
  espy_sim_device_stop (sim);
  if (!ok)
    return FALSE;

  *rate = median (rates, (guint) opt_runs);
  g_print ("ota-throughput: %-24s %.2f MiB in %.2f s = %.2f MiB/s (median of %d)\n",
           label, size / MIB, median (times, (guint) opt_runs), *rate / MIB, opt_runs);
  return TRUE;
}

static EspyFirmwareImage *
make_image (gsize    size,
            guint32  seed)
{
  g_autoptr(GBytes) bytes = espy_sim_make_image (size, "2026.1.0", "Jan  1 2026, 00:00:00", seed);
  g_autoptr(GError) error = NULL;
  EspyFirmwareImage *image = espy_firmware_image_new_from_bytes (bytes, "bench.bin", &error);

  if (image == NULL)
    g_printerr ("ota-throughput: the benchmark image was refused: %s\n", error->message);
  return image;
}

int
main (int    argc,
      char **argv)
{
  const GOptionEntry entries[] = {
    { "delay-ms", 0, 0, G_OPTION_ARG_INT, &opt_delay_ms, "One-way delay of the relay (default 10)", "MS" },
    { "size", 0, 0, G_OPTION_ARG_INT64, &opt_size, "Image size for the window runs (default 1572864)", "BYTES" },
    { "window", 0, 0, G_OPTION_ARG_INT, &opt_window, "Window of the pipelined run (default ESPY_OTA_DEFAULT_WINDOW)", "BLOCKS" },
    { "flash-rate", 0, 0, G_OPTION_ARG_INT64, &opt_flash_rate, "Simulated flash rate of the flash-bound run, 0 = skip it (default 200000)", "BYTES_PER_S" },
    { "flash-size", 0, 0, G_OPTION_ARG_INT64, &opt_flash_size, "Image size of the flash-bound run (default 786432)", "BYTES" },
    { "link-rate", 0, 0, G_OPTION_ARG_INT64, &opt_link_rate, "Bandwidth limit of the relay per direction, 0 = none (default)", "BYTES_PER_S" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &opt_runs, "Uploads per configuration; the median counts (default 3)", "N" },
    { "boot-ms", 0, 0, G_OPTION_ARG_INT, &opt_boot_ms, "Simulated boot time after each upload (default 100)", "MS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- OTA upload throughput over a delayed link");
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(EspyFirmwareImage) flash_image = NULL;
  g_autofree char *window_label = NULL;
  g_autofree char *flash_label = NULL;
  double stop_and_wait = 0, pipelined = 0, flash_bound = 0;
  double speedup, efficiency = 0;
  gboolean speedup_ok, flash_ok = TRUE;

  /* Everything here is on loopback. Without this the client's GSocketClient
   * asks libproxy (maybe WPAD) on every connect, which is noise here and
   * aborts under ASan (libproxy throws C++ exceptions). */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", FALSE);

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ota-throughput: %s\n", error->message);
      return 2;
    }
  if (opt_delay_ms < 0 || opt_size < 1024 || opt_window < 1 || opt_window > 256 || opt_flash_rate < 0
      || opt_flash_size < 1024 || opt_link_rate < 0 || opt_runs < 1 || opt_boot_ms < 0)
    {
      g_printerr ("ota-throughput: an option is out of range (see --help)\n");
      return 2;
    }

  image = make_image ((gsize) opt_size, 1);
  if (image == NULL)
    return 2;

  g_print ("ota-throughput: simulated ESP32 2025.10, OTA v2, relay %d ms each way (%d ms RTT)%s, "
           "%d run(s) each\n", opt_delay_ms, 2 * opt_delay_ms,
           opt_link_rate > 0 ? ", rate-limited" : "", opt_runs);

  window_label = g_strdup_printf ("window=%d", opt_window);
  if (!run_config ("window=1", image, 1, 0, &stop_and_wait)
      || !run_config (window_label, image, (guint) opt_window, 0, &pipelined))
    return 2;

  if (opt_flash_rate > 0)
    {
      flash_image = make_image ((gsize) opt_flash_size, 2);
      if (flash_image == NULL)
        return 2;
      flash_label = g_strdup_printf ("window=%d flash=%" G_GINT64_FORMAT "B/s", opt_window, opt_flash_rate);
      if (!run_config (flash_label, flash_image, (guint) opt_window, (guint64) opt_flash_rate, &flash_bound))
        return 2;
      efficiency = flash_bound / (double) opt_flash_rate;
      flash_ok = ABS (efficiency - 1.0) <= FLASH_TOLERANCE;
      g_print ("ota-throughput: flash-bound: %.0f B/s achieved of %" G_GINT64_FORMAT " B/s = %.1f%%\n",
               flash_bound, opt_flash_rate, 100.0 * efficiency);
    }

  speedup = pipelined / stop_and_wait;
  speedup_ok = speedup >= SPEEDUP_TARGET;
  g_print ("ota-throughput: summary: window=%d is %.1fx window=1 at %d ms RTT (target >= %.0fx) %s",
           opt_window, speedup, 2 * opt_delay_ms, SPEEDUP_TARGET, speedup_ok ? "PASS" : "FAIL");
  if (opt_flash_rate > 0)
    g_print ("; flash-bound %.1f%% of the flash rate (target %.0f%%..%.0f%%) %s",
             100.0 * efficiency, 100.0 * (1 - FLASH_TOLERANCE), 100.0 * (1 + FLASH_TOLERANCE),
             flash_ok ? "PASS" : "FAIL");
  g_print ("\n");

  return speedup_ok && flash_ok ? 0 : 1;
}
