/* web-upload.c: Espy's web server upload (EspyWebOtaClient) against
 * `curl -F update=@image` to the same simulated web server, same image.
 * Prints both times and their ratio; the target is Espy <= 1.1x curl.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "espy-sim-device.h"
#include "espy-sim-web-server.h"
#include "espy-web-ota-client.h"

#define RUNS 7

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v,
        guint   n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return v[n / 2];
}

static void
upload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(GError) error = NULL;

  if (!espy_web_ota_client_upload_finish (ESPY_WEB_OTA_CLIENT (source), result, &error))
    g_error ("espy upload failed: %s", error->message);
  *(gboolean *) data = TRUE;
}

static double
espy_once (guint16            port,
           EspyFirmwareImage *image)
{
  g_autoptr(EspyWebOtaClient) client = espy_web_ota_client_new ("127.0.0.1", port);
  gboolean done = FALSE;
  gint64 start = g_get_monotonic_time ();

  espy_web_ota_client_upload_async (client, image, NULL, upload_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  return (g_get_monotonic_time () - start) / 1e6;
}

static double
curl_once (guint16     port,
           const char *path)
{
  g_autofree char *form = g_strdup_printf ("update=@%s;filename=firmware.bin;type=application/octet-stream", path);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/update", port);
  const char *argv[] = { "curl", "-s", "-S", "--noproxy", "*", "-o", "/dev/null", "-F", form, url, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;
  gint64 start = g_get_monotonic_time ();

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error))
    g_error ("curl: %s", error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("curl failed: %s", error->message);
  return (g_get_monotonic_time () - start) / 1e6;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(EspySimWebServer) web = espy_sim_web_server_new (ESPY_SIM_WEB_FLAVOUR_ESP_IDF);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autofree char *path = NULL;
  gsize size = 4 * 1024 * 1024;
  double espy[RUNS], curl[RUNS], e, c;
  int fd;

  if (argc > 1)
    size = (gsize) g_ascii_strtoull (argv[1], NULL, 10);
  if (!g_find_program_in_path ("curl"))
    {
      printf ("web-upload: SKIP: curl is not installed\n");
      return 77;
    }
  espy_sim_web_server_set_platform (web, "ESP32");
  espy_sim_web_server_set_ping_interval (web, 0);
  if (!espy_sim_web_server_start (web, &error))
    g_error ("web server: %s", error->message);

  bytes = espy_sim_make_image (size, "2026.1.0", "Jan 1 2026, 00:00:00", 5);
  image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);
  g_assert_no_error (error);
  fd = g_file_open_tmp ("espy-bench-XXXXXX.bin", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) size, &error);
  g_assert_no_error (error);

  /* Warm up both (page cache, first connection). */
  espy_once (espy_sim_web_server_get_port (web), image);
  curl_once (espy_sim_web_server_get_port (web), path);
  /* Interleaved so load changes hit both alike. */
  for (guint i = 0; i < RUNS; i++)
    {
      espy[i] = espy_once (espy_sim_web_server_get_port (web), image);
      curl[i] = curl_once (espy_sim_web_server_get_port (web), path);
    }
  e = median (espy, RUNS);
  c = median (curl, RUNS);
  printf ("web-upload: image %" G_GSIZE_FORMAT " bytes, %d runs each (median)\n", size, RUNS);
  printf ("  espy  %.3f s  %.1f MiB/s\n", e, size / e / 1048576.0);
  printf ("  curl  %.3f s  %.1f MiB/s\n", c, size / c / 1048576.0);
  printf ("  ratio espy/curl = %.2f (target <= 1.10): %s\n", e / c, e / c <= 1.10 ? "met" : "NOT met");
  printf ("  uploads the server took: %u\n", espy_sim_web_server_get_upload_count (web));

  espy_sim_web_server_stop (web);
  g_unlink (path);
  return 0;
}
