/* update-all.c: Update All over 20 simulated devices with a flash rate
 * (so each install takes a realistic time), all at once, against one
 * device alone. Prints both times and the ratio; the target is <= 1.5x.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <stdio.h>

#include "espy-device-store.h"
#include "espy-install-job.h"
#include "espy-install-manager.h"
#include "espy-sim-device.h"

#define N_DEVICES   20
#define IMAGE_SIZE  (256 * 1024)
#define FLASH_RATE  (256 * 1024)   /* bytes/s: about 1 s of flashing each */

typedef struct {
  EspySimDevice     *sims[N_DEVICES];
  EspyFirmwareImage *image;
} Bench;

static EspyInstallJob *
make_job (EspyDevice *device,
          gpointer    user_data)
{
  Bench *b = user_data;
  EspyInstallJob *job = espy_install_job_new (device, b->image);
  guint i = (guint) g_ascii_strtoull (espy_device_get_name (device) + 5, NULL, 10);

  espy_install_job_set_ota_port (job, espy_sim_device_get_ota_port (b->sims[i]));
  espy_install_job_set_use_keyring (job, FALSE);
  espy_install_job_set_ota_retries (job, 0, 10);
  /* mDNS would re-announce the version; nothing announces here, so no
   * wait for it: the figures are upload + restart, not a fixed wait. */
  espy_install_job_set_verify_timeout (job, 0);
  return job;
}

typedef struct {
  gboolean          done;
  EspyUpdateSummary summary;
} Result;

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Result *r = data;

  espy_install_manager_update_all_finish (ESPY_INSTALL_MANAGER (source), result, &r->summary, NULL);
  r->done = TRUE;
}

static double
run (Bench           *b,
     EspyDeviceStore *store,
     guint            n,
     guint            parallel,
     EspyUpdateSummary *summary)
{
  g_autoptr(EspyInstallManager) manager = espy_install_manager_new ();
  g_autoptr(GListStore) devices = g_list_store_new (ESPY_TYPE_DEVICE);
  EspyUpdateOptions options = { 0 };
  Result r = { 0 };
  gint64 start;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("node-%02u", i);

      g_list_store_append (devices, espy_device_store_lookup (store, name));
    }
  espy_install_manager_set_max_parallel (manager, parallel);
  options.make_job = make_job;
  options.user_data = b;
  start = g_get_monotonic_time ();
  espy_install_manager_update_all_async (manager, G_LIST_MODEL (devices), &options, NULL, done_cb, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  *summary = r.summary;
  return (g_get_monotonic_time () - start) / 1e6;
}

int
main (void)
{
  g_autoptr(EspyDeviceStore) store = espy_device_store_new ();
  g_autoptr(GBytes) bytes = espy_sim_make_image (IMAGE_SIZE, "2026.1.0", "Jan 1 2026, 00:00:00", 9);
  g_autoptr(GError) error = NULL;
  EspyUpdateSummary one_summary, all_summary, four_summary;
  double one, all, four;
  Bench b = { 0 };

  b.image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);
  g_assert_no_error (error);
  espy_device_store_set_probe_interval (store, 0);
  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_autofree char *name = g_strdup_printf ("node-%02u", i);
      g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();

      b.sims[i] = espy_sim_device_new (name);
      espy_sim_device_set_platform (b.sims[i], "ESP32");
      espy_sim_device_set_flash_rate (b.sims[i], FLASH_RATE);
      espy_sim_device_set_boot_ms (b.sims[i], 300);
      if (!espy_sim_device_start (b.sims[i], &error))
        g_error ("sim: %s", error->message);
      espy_device_info_set_name (info, name);
      espy_device_info_add_address (info, "127.0.0.1");
      /* As mDNS announces them: online. */
      espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, name, info);
    }

  one = run (&b, store, 1, 1, &one_summary);
  all = run (&b, store, N_DEVICES, N_DEVICES, &all_summary);
  four = run (&b, store, N_DEVICES, ESPY_INSTALL_MANAGER_DEFAULT_MAX_PARALLEL, &four_summary);

  printf ("update-all: %u devices, image %u bytes, flash rate %u bytes/s\n", N_DEVICES, IMAGE_SIZE, FLASH_RATE);
  printf ("  one device            %.2f s (%u ok)\n", one, one_summary.n_succeeded);
  printf ("  %u devices, %u at once  %.2f s (%u ok, %u failed)\n", N_DEVICES, N_DEVICES, all,
          all_summary.n_succeeded, all_summary.n_failed);
  printf ("  ratio = %.2f (target <= 1.50): %s\n", all / one, all / one <= 1.5 ? "met" : "NOT met");
  printf ("  %u devices, %u at once (the default)  %.2f s (%u ok)\n", N_DEVICES,
          ESPY_INSTALL_MANAGER_DEFAULT_MAX_PARALLEL, four, four_summary.n_succeeded);

  for (guint i = 0; i < N_DEVICES; i++)
    {
      espy_sim_device_stop (b.sims[i]);
      g_object_unref (b.sims[i]);
    }
  g_object_unref (b.image);
  return 0;
}
