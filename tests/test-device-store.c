/* test-device-store.c: the device model and store: merging sources,
 * list-model bookkeeping, versions and update badges, manual devices on
 * disk, and reachability probes against real sockets.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "espy-device-store.h"
#include "espy-manual-devices.h"
#include "espy-reachability-prober.h"
#include "espy-version.h"

static char *tmp_root;

/* --- helpers -------------------------------------------------------------- */

static gboolean
wake_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until COND (data) holds or TIMEOUT_MS pass. */
static gboolean
wait_until (gboolean (*cond) (gpointer),
            gpointer   data,
            guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, wake_cb, &timed_out);

  while (!cond (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return cond (data);
}

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, wake_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static EspyDeviceInfo *
info_new (const char *name,
          const char *mac)
{
  EspyDeviceInfo *info = espy_device_info_new ();

  espy_device_info_set_name (info, name);
  if (mac != NULL)
    g_assert_true (espy_device_info_set_mac (info, mac));
  return info;
}

static EspyDeviceStore *
store_new_quiet (void)
{
  EspyDeviceStore *store = espy_device_store_new ();

  /* No probes unless a test asks: loopback names must not be dialled. */
  espy_device_store_set_probe_interval (store, 0);
  return store;
}

static EspyDevice *
item (EspyDeviceStore *store,
      guint            pos)
{
  EspyDevice *device = g_list_model_get_item (G_LIST_MODEL (store), pos);

  /* The store keeps its own reference. */
  g_object_unref (device);
  return device;
}

static void
rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          rm_rf (child);
        }
      g_dir_close (dir);
    }
  g_remove (path);
}

/* --- an observer that replays items-changed onto an array ----------------- */

typedef struct {
  GListModel *model;
  GPtrArray  *items;
  gulong      handler;
  guint       emissions;
} Mirror;

static void
mirror_assert_matches (Mirror *m)
{
  guint n = g_list_model_get_n_items (m->model);

  g_assert_cmpuint (m->items->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (m->model, i);

      g_assert_true (g_ptr_array_index (m->items, i) == device);
      if (i > 0)
        {
          EspyDevice *prev = g_ptr_array_index (m->items, i - 1);
          g_autofree char *a = g_utf8_casefold (espy_device_get_display_name (prev), -1);
          g_autofree char *b = g_utf8_casefold (espy_device_get_display_name (device), -1);

          g_assert_cmpint (g_utf8_collate (a, b), <=, 0);
        }
    }
  g_assert_null (g_list_model_get_item (m->model, n));
}

static void
mirror_items_changed_cb (GListModel *model,
                         guint       position,
                         guint       removed,
                         guint       added,
                         Mirror     *m)
{
  g_assert_cmpuint (position + removed, <=, m->items->len);
  g_ptr_array_remove_range (m->items, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (m->items, (gint) (position + i), g_list_model_get_item (model, position + i));
  m->emissions++;
  /* Every emission must leave the model consistent, not only the last one. */
  g_assert_cmpuint (m->items->len, ==, g_list_model_get_n_items (model));
  for (guint i = 0; i < m->items->len; i++)
    {
      g_autoptr(GObject) object = g_list_model_get_item (model, i);

      g_assert_true (g_ptr_array_index (m->items, i) == (gpointer) object);
    }
}

static Mirror *
mirror_new (GListModel *model)
{
  Mirror *m = g_new0 (Mirror, 1);
  guint n = g_list_model_get_n_items (model);

  m->model = model;
  m->items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (m->items, g_list_model_get_item (model, i));
  m->handler = g_signal_connect (model, "items-changed", G_CALLBACK (mirror_items_changed_cb), m);
  return m;
}

static void
mirror_free (Mirror *m)
{
  g_signal_handler_disconnect (m->model, m->handler);
  g_ptr_array_unref (m->items);
  g_free (m);
}

/* --- versions ------------------------------------------------------------- */

static void
test_version_compare (void)
{
  static const struct { const char *a, *b; int expected; } table[] = {
    { "2025.10.1", "2025.10.1", 0 },
    { "2025.10.1", "2025.10.2", -1 },
    { "2025.10.1", "2025.9.3", 1 },
    { "2025.10.1", "2026.1.2", -1 },
    { "2025.10.0b3", "2025.10.0", -1 },
    { "2025.10.0b3", "2025.10.0b10", -1 },
    { "2025.10.0b1", "2025.9.9", 1 },
    { "2026.1.0-dev", "2026.1.0b1", -1 },
    { "2026.1.0-dev", "2025.12.3", 1 },
    { "2026.1.0-dev", "2026.1.0", -1 },
    { "2026.1.0rc1", "2026.1.0b4", 1 },
    { "2026.1.0rc1", "2026.1.0", -1 },
    { "2026.1", "2026.1.0", 0 },
    { "v2026.1.2", "2026.1.2", 0 },
    { "2024.12.4", "2024.2.0", 1 },
    { "garbage", "2024.2.0", -1 },
    { NULL, "2024.2.0", -1 },
    { "2024.2.0", NULL, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      int r = espy_version_compare (table[i].a, table[i].b);
      int back = espy_version_compare (table[i].b, table[i].a);

      g_test_message ("%s vs %s", table[i].a, table[i].b);
      g_assert_cmpint (CLAMP (r, -1, 1), ==, table[i].expected);
      g_assert_cmpint (CLAMP (back, -1, 1), ==, -table[i].expected);
    }

  g_assert_true (espy_version_is_valid ("2025.10.0b3"));
  g_assert_true (espy_version_is_valid ("2026.1.0-dev"));
  g_assert_false (espy_version_is_valid ("2026.1.0.1"));
  g_assert_false (espy_version_is_valid ("2026.1.0beta"));
  g_assert_false (espy_version_is_valid (""));
  g_assert_false (espy_version_is_valid ("2026"));
}

static void
test_version_output (void)
{
  g_autofree char *a = espy_version_parse_esphome_output ("Version: 2026.1.2\n");
  g_autofree char *b = espy_version_parse_esphome_output ("WARNING something\nVersion: 2025.10.0b3\n");
  g_autofree char *c = espy_version_parse_esphome_output ("Version: soon\n");
  g_autofree char *d = espy_version_parse_esphome_output ("");

  g_assert_cmpstr (a, ==, "2026.1.2");
  g_assert_cmpstr (b, ==, "2025.10.0b3");
  g_assert_null (c);
  g_assert_null (d);
}

static void
test_mac (void)
{
  g_autofree char *a = espy_mac_normalize ("AC:BC:32:00:11:22");
  g_autofree char *b = espy_mac_normalize ("acbc32001122");
  g_autofree char *c = espy_mac_normalize ("ac-bc-32-00-11-2");
  g_autofree char *d = espy_mac_normalize ("ac:bc:32:00:11:22:33");
  g_autofree char *e = espy_mac_format ("acbc32001122");
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();

  g_assert_cmpstr (a, ==, "acbc32001122");
  g_assert_cmpstr (b, ==, "acbc32001122");
  g_assert_null (c);
  g_assert_null (d);
  g_assert_cmpstr (e, ==, "ac:bc:32:00:11:22");
  g_assert_false (espy_device_info_set_mac (info, "not a mac"));
  g_assert_null (info->mac);
}

/* --- merging -------------------------------------------------------------- */

static void
test_merge_priorities (void)
{
  g_autoptr(EspyDeviceStore) store = store_new_quiet ();
  g_autoptr(EspyDeviceInfo) mdns = info_new ("kitchen", "AC:BC:32:00:11:22");
  g_autoptr(EspyDeviceInfo) config = info_new ("kitchen", NULL);
  g_autoptr(EspyDeviceInfo) manual = info_new ("kitchen", NULL);
  const char *v6[] = { "fe80::1%eth0", "2001:db8::5", NULL };
  EspyDevice *device;

  espy_device_info_set_friendly_name (mdns, "Kitchen Light");
  espy_device_info_set_version (mdns, "2025.10.1");
  espy_device_info_set_platform (mdns, "ESP8266");
  espy_device_info_set_board (mdns, "nodemcuv2");
  espy_device_info_set_host (mdns, "kitchen.local");
  espy_device_info_set_addresses (mdns, v6);
  espy_device_info_add_address (mdns, "127.0.1.20");
  mdns->api_port = 6053;
  mdns->api_encryption = ESPY_TRISTATE_YES;

  espy_device_info_set_friendly_name (config, "Kitchen (config)");
  espy_device_info_set_version (config, "2024.2.0");
  espy_device_info_set_platform (config, "ESP32");
  espy_device_info_set_config_path (config, "/cfg/kitchen.yaml");
  espy_device_info_add_address (config, "127.0.1.99");
  config->ota_port = 3288;
  config->web_port = 8080;

  espy_device_info_set_host (manual, "127.0.0.5");
  manual->ota_port = 1111;

  g_assert_true (espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/kitchen.yaml", config));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  device = item (store, 0);
  /* Config only: its address, its platform, its ports, not online. */
  g_assert_cmpstr (espy_device_get_address (device), ==, "127.0.1.99");
  g_assert_cmpstr (espy_device_get_platform (device), ==, "ESP32");
  g_assert_cmpuint (espy_device_get_ota_port (device), ==, 3288);
  g_assert_false (espy_device_get_online (device));
  g_assert_cmpint (espy_device_get_sources (device), ==, ESPY_DEVICE_SOURCES_CONFIG);

  g_assert_true (espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "kitchen@lo/ipv4", mdns));
  g_assert_true (espy_device_store_update (store, ESPY_DEVICE_SOURCE_MANUAL, "kitchen", manual));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_true (item (store, 0) == device);

  g_assert_cmpstr (espy_device_get_name (device), ==, "kitchen");
  g_assert_cmpstr (espy_device_get_mac (device), ==, "acbc32001122");
  /* Live facts: mDNS beats config. */
  g_assert_cmpstr (espy_device_get_friendly_name (device), ==, "Kitchen Light");
  g_assert_cmpstr (espy_device_get_display_name (device), ==, "Kitchen Light");
  g_assert_cmpstr (espy_device_get_version (device), ==, "2025.10.1");
  g_assert_cmpstr (espy_device_get_platform (device), ==, "ESP8266");
  g_assert_cmpstr (espy_device_get_board (device), ==, "nodemcuv2");
  g_assert_cmpint (espy_device_get_api_encryption (device), ==, ESPY_TRISTATE_YES);
  /* Config facts: config beats the manual entry. */
  g_assert_cmpuint (espy_device_get_ota_port (device), ==, 3288);
  g_assert_cmpuint (espy_device_get_web_port (device), ==, 8080);
  g_assert_cmpstr (espy_device_get_config_path (device), ==, "/cfg/kitchen.yaml");
  /* Address: manual first. */
  g_assert_cmpstr (espy_device_get_address (device), ==, "127.0.0.5");
  g_assert_true (espy_device_get_online (device));
  g_assert_cmpint (espy_device_get_sources (device), ==,
                   ESPY_DEVICE_SOURCES_CONFIG | ESPY_DEVICE_SOURCES_MDNS | ESPY_DEVICE_SOURCES_MANUAL);
  g_assert_true (g_str_has_prefix (espy_device_get_reachability (device), "Seen via mDNS"));

  /* Without the manual entry: mDNS IPv4, then IPv6 (global before link-local). */
  g_assert_true (espy_device_store_remove (store, ESPY_DEVICE_SOURCE_MANUAL, "kitchen"));
  g_assert_cmpstr (espy_device_get_address (device), ==, "127.0.1.20");
  {
    g_autoptr(EspyDeviceInfo) only6 = espy_device_info_dup (mdns);

    espy_device_info_set_addresses (only6, v6);
    espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "kitchen@lo/ipv4", only6);
    g_assert_cmpstr (espy_device_get_address (device), ==, "2001:db8::5");
  }

  /* Without mDNS: the config's address and live facts; the OTA port stays the config's. */
  g_assert_true (espy_device_store_remove (store, ESPY_DEVICE_SOURCE_MDNS, "kitchen@lo/ipv4"));
  g_assert_true (item (store, 0) == device);
  g_assert_cmpstr (espy_device_get_address (device), ==, "127.0.1.99");
  g_assert_cmpstr (espy_device_get_version (device), ==, "2024.2.0");
  /* An explicit use_address beats the config's manual_ip. */
  espy_device_info_set_host (config, "kitchen.iot.lan");
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/kitchen.yaml", config);
  g_assert_cmpstr (espy_device_get_address (device), ==, "kitchen.iot.lan");
  g_assert_null (espy_device_get_mac (device));
  g_assert_false (espy_device_get_online (device));

  /* A config without address or OTA port: name.local and the platform default. */
  {
    g_autoptr(EspyDeviceInfo) bare = info_new ("kitchen", NULL);

    espy_device_info_set_platform (bare, "ESP8266");
    espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/kitchen.yaml", bare);
    g_assert_cmpstr (espy_device_get_address (device), ==, "kitchen.local");
    g_assert_cmpuint (espy_device_get_ota_port (device), ==, 8266);
    g_assert_cmpuint (espy_device_get_api_port (device), ==, 6053);
    g_assert_cmpuint (espy_device_get_web_port (device), ==, 0);
  }
}

static void
test_merge_same_name_different_mac (void)
{
  g_autoptr(EspyDeviceStore) store = store_new_quiet ();
  g_autoptr(EspyDeviceInfo) a = info_new ("sensor", "aa:aa:aa:00:00:01");
  g_autoptr(EspyDeviceInfo) b = info_new ("sensor", "aa:aa:aa:00:00:02");
  g_autoptr(EspyDeviceInfo) cfg = info_new ("sensor", NULL);
  g_autoptr(EspyDeviceInfo) a_again = info_new ("Sensor", "AA-AA-AA-00-00-01");
  EspyDevice *first;
  EspyDevice *d1, *d2;

  /* A name-only config merges with the single MAC-bearing announcement. */
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/sensor.yaml", cfg);
  first = item (store, 0);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "a", a);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_true (item (store, 0) == first);
  g_assert_cmpstr (espy_device_get_mac (first), ==, "aaaaaa000001");
  g_assert_cmpstr (espy_device_get_display_name (first), ==, "sensor");
  /* Same MAC written differently, same name in another case: still one. */
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_API, "a", a_again);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  espy_device_store_remove (store, ESPY_DEVICE_SOURCE_API, "a");

  /* A second MAC under the same name: two devices, both named with their MAC;
   * the name-only config can no longer tell which is its own. */
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "b", b);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 3);
  d1 = espy_device_store_lookup_full (store, "sensor", "aaaaaa000001");
  d2 = espy_device_store_lookup_full (store, "sensor", "AA:AA:AA:00:00:02");
  g_assert_nonnull (d1);
  g_assert_nonnull (d2);
  g_assert_true (d1 != d2);
  g_assert_true (d1 == first);
  g_assert_cmpstr (espy_device_get_display_name (d1), ==, "sensor (aa:aa:aa:00:00:01)");
  g_assert_cmpstr (espy_device_get_display_name (d2), ==, "sensor (aa:aa:aa:00:00:02)");
  g_assert_cmpint (espy_device_get_sources (d1), ==, ESPY_DEVICE_SOURCES_MDNS);

  /* The second one goes: back to one device with both sources. */
  espy_device_store_remove (store, ESPY_DEVICE_SOURCE_MDNS, "b");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_true (item (store, 0) == first);
  g_assert_cmpstr (espy_device_get_display_name (first), ==, "sensor");
  g_assert_cmpint (espy_device_get_sources (first), ==, ESPY_DEVICE_SOURCES_MDNS | ESPY_DEVICE_SOURCES_CONFIG);
}

static void
test_merge_mac_suffix (void)
{
  g_autoptr(EspyDeviceStore) store = store_new_quiet ();
  g_autoptr(EspyDeviceInfo) cfg = info_new ("plug", NULL);
  g_autoptr(EspyDeviceInfo) p1 = info_new ("plug-a1b2c3", "001122a1b2c3");
  g_autoptr(EspyDeviceInfo) p2 = info_new ("plug-d4e5f6", "001122d4e5f6");

  espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/plug.yaml", cfg);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "p1", p1);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "p2", p2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 3);
  g_assert_cmpstr (espy_device_get_display_name (item (store, 0)), ==, "plug");
  g_assert_cmpstr (espy_device_get_display_name (item (store, 1)), ==, "plug-a1b2c3");
  g_assert_cmpstr (espy_device_get_display_name (item (store, 2)), ==, "plug-d4e5f6");
  g_assert_nonnull (espy_device_store_lookup (store, "PLUG-A1B2C3"));
  g_assert_null (espy_device_store_lookup (store, "plug-000000"));
}

static void
count_cb (GListModel *model, guint position, guint removed, guint added, guint *count)
{
  (*count)++;
}

static void
test_remove_last_source (void)
{
  g_autoptr(EspyDeviceStore) store = store_new_quiet ();
  g_autoptr(EspyDeviceInfo) v4 = info_new ("garage", "0011223344ff");
  g_autoptr(EspyDeviceInfo) cfg = info_new ("garage", NULL);
  guint emissions = 0;

  g_signal_connect (store, "items-changed", G_CALLBACK (count_cb), &emissions);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "garage/eth0/ipv4", v4);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "garage/eth0/ipv6", v4);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "garage/wlan0/ipv4", v4);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/garage.yaml", cfg);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_cmpuint (emissions, ==, 1);

  /* One announcement per interface and protocol goes, one by one. */
  g_assert_true (espy_device_store_remove (store, ESPY_DEVICE_SOURCE_MDNS, "garage/eth0/ipv4"));
  g_assert_false (espy_device_store_remove (store, ESPY_DEVICE_SOURCE_MDNS, "garage/eth0/ipv4"));
  g_assert_true (espy_device_store_remove (store, ESPY_DEVICE_SOURCE_MDNS, "garage/eth0/ipv6"));
  g_assert_true (espy_device_get_online (item (store, 0)));
  g_assert_true (espy_device_store_remove (store, ESPY_DEVICE_SOURCE_MDNS, "garage/wlan0/ipv4"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_false (espy_device_get_online (item (store, 0)));
  g_assert_cmpuint (emissions, ==, 1);
  /* A removal under the wrong source is not a removal. */
  g_assert_false (espy_device_store_remove (store, ESPY_DEVICE_SOURCE_MDNS, "/cfg/garage.yaml"));

  g_assert_true (espy_device_store_remove (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/garage.yaml"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  g_assert_cmpuint (emissions, ==, 2);
  g_assert_false (espy_device_store_remove (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/garage.yaml"));
  g_assert_cmpuint (emissions, ==, 2);
  g_assert_null (espy_device_store_lookup (store, "garage"));

  /* A record moving to another name moves between devices. */
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/x.yaml", cfg);
  {
    g_autoptr(EspyDeviceInfo) renamed = info_new ("shed", NULL);

    espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/x.yaml", renamed);
  }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  g_assert_null (espy_device_store_lookup (store, "garage"));
  g_assert_nonnull (espy_device_store_lookup (store, "shed"));
}

static void
test_items_changed (void)
{
  static const char *names[] = { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot" };
  static const char *friendly[] = { NULL, "Zulu", "Apple", "bravo", "Émile", "echo" };
  static const char *macs[] = { NULL, "000000000001", "000000000002" };
  g_autoptr(EspyDeviceStore) store = store_new_quiet ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  Mirror *m = mirror_new (G_LIST_MODEL (store));

  for (guint step = 0; step < 3000; step++)
    {
      EspyDeviceSource source = (EspyDeviceSource) g_rand_int_range (rand, 0, 4);
      g_autofree char *key = g_strdup_printf ("k%d", g_rand_int_range (rand, 0, 6));

      if (g_rand_int_range (rand, 0, 3) == 0)
        espy_device_store_remove (store, source, key);
      else
        {
          g_autoptr(EspyDeviceInfo) info =
            info_new (names[g_rand_int_range (rand, 0, G_N_ELEMENTS (names))],
                      macs[g_rand_int_range (rand, 0, G_N_ELEMENTS (macs))]);

          espy_device_info_set_friendly_name (info, friendly[g_rand_int_range (rand, 0, G_N_ELEMENTS (friendly))]);
          espy_device_store_update (store, source, key, info);
        }
      mirror_assert_matches (m);
    }
  g_assert_cmpuint (m->emissions, >, 100);

  espy_device_store_remove_source (store, ESPY_DEVICE_SOURCE_MDNS);
  espy_device_store_remove_source (store, ESPY_DEVICE_SOURCE_CONFIG);
  espy_device_store_remove_source (store, ESPY_DEVICE_SOURCE_MANUAL);
  espy_device_store_remove_source (store, ESPY_DEVICE_SOURCE_API);
  mirror_assert_matches (m);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  mirror_free (m);
}

/* --- update available ----------------------------------------------------- */

static gboolean
version_known (gpointer data)
{
  return espy_device_store_get_esphome_version (data) != NULL;
}

static gboolean
error_known (gpointer data)
{
  return espy_device_store_get_esphome_error (data) != NULL;
}

static void
test_update_available (void)
{
  g_autofree char *dir = g_build_filename (tmp_root, "bin", NULL);
  g_autofree char *script = g_build_filename (dir, "esphome", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyDeviceStore) store = store_new_quiet ();
  g_autoptr(EspyDeviceInfo) old_mdns = info_new ("old", "000000000010");
  g_autoptr(EspyDeviceInfo) old_cfg = info_new ("old", NULL);
  g_autoptr(EspyDeviceInfo) new_mdns = info_new ("new", "000000000011");
  g_autoptr(EspyDeviceInfo) new_cfg = info_new ("new", NULL);
  g_autoptr(EspyDeviceInfo) lone = info_new ("lone", "000000000012");
  EspyDevice *old_dev, *new_dev, *lone_dev;

  espy_device_info_set_version (old_mdns, "2025.10.1");
  espy_device_info_set_version (new_mdns, "2026.1.2");
  espy_device_info_set_config_hash (new_mdns, "1234abcd");
  espy_device_info_set_config_hash (new_cfg, "1234ABCD");
  espy_device_info_set_version (lone, "2024.2.0");
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "old", old_mdns);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/old.yaml", old_cfg);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "new", new_mdns);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/new.yaml", new_cfg);
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "lone", lone);
  old_dev = espy_device_store_lookup (store, "old");
  new_dev = espy_device_store_lookup (store, "new");
  lone_dev = espy_device_store_lookup (store, "lone");

  /* Installed version unknown: no badge. */
  g_assert_false (espy_device_get_update_available (old_dev));
  g_assert_null (espy_device_get_update_reason (old_dev));

  /* A missing compiler ($ESPY_ESPHOME, set in main(), does not exist yet):
   * unknown, with the reason, and still no badge. */
  espy_device_store_detect_esphome_version (store);
  g_assert_true (wait_until (error_known, store, 10000));
  g_assert_null (espy_device_store_get_esphome_version (store));
  g_test_message ("%s", espy_device_store_get_esphome_error (store));
  g_assert_false (espy_device_get_update_available (old_dev));

  /* The stand-in prints what `esphome version` prints. */
  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  g_assert_true (g_file_set_contents (script,
                                      "#!/bin/sh\n"
                                      "[ \"$1\" = version ] || exit 2\n"
                                      "echo 'Version: 2026.1.2'\n", -1, &error));
  g_assert_no_error (error);
  g_assert_no_errno (g_chmod (script, 0755));
  espy_device_store_detect_esphome_version (store);
  g_assert_true (wait_until (version_known, store, 10000));
  g_assert_cmpstr (espy_device_store_get_esphome_version (store), ==, "2026.1.2");
  g_assert_null (espy_device_store_get_esphome_error (store));

  g_assert_true (espy_device_get_update_available (old_dev));
  g_assert_cmpstr (espy_device_get_update_reason (old_dev), ==,
                   "Runs 2025.10.1; the installed ESPHome is 2026.1.2");
  g_assert_false (espy_device_get_update_available (new_dev));
  g_assert_null (espy_device_get_update_reason (new_dev));
  /* No config, nothing to install: no badge however old. */
  g_assert_false (espy_device_get_update_available (lone_dev));

  /* The config changed since the build the device runs. */
  espy_device_info_set_config_hash (new_cfg, "99999999");
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, "/cfg/new.yaml", new_cfg);
  g_assert_true (espy_device_get_update_available (new_dev));
  g_assert_cmpstr (espy_device_get_update_reason (new_dev), ==,
                   "The configuration changed since it was installed (config hash)");

  /* The device updated itself: the badge goes. */
  espy_device_info_set_version (old_mdns, "2026.1.2");
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "old", old_mdns);
  g_assert_false (espy_device_get_update_available (old_dev));
  rm_rf (dir);
}

/* --- manual devices ------------------------------------------------------- */

static void
test_manual_persist (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyDeviceInfo) entry = espy_device_info_new ();
  g_autoptr(EspyDeviceInfo) by_ip = espy_device_info_new ();
  g_autoptr(EspyDeviceInfo) bad = espy_device_info_new ();
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "espy", "manual-devices.json", NULL);
  EspyDevice *device;

  g_assert_true (g_str_has_prefix (g_get_user_data_dir (), tmp_root));

  {
    g_autoptr(EspyManualDevices) manual = espy_manual_devices_new (NULL);
    g_autoptr(EspyDeviceStore) store = store_new_quiet ();

    g_assert_cmpstr (espy_manual_devices_get_path (manual), ==, expected);
    g_assert_true (espy_manual_devices_load (manual, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (espy_manual_devices_get_entries (manual)->len, ==, 0);
    espy_device_store_set_manual_devices (store, manual);

    espy_device_info_set_name (entry, "porch");
    espy_device_info_set_host (entry, "127.0.5.7");
    entry->ota_port = 3300;
    entry->ota_transport = ESPY_DEVICE_TRANSPORT_WEB;
    g_assert_true (espy_manual_devices_add (manual, entry, &error));
    g_assert_no_error (error);
    espy_device_info_set_host (by_ip, "10.1.2.3");
    g_assert_true (espy_manual_devices_add (manual, by_ip, &error));
    g_assert_no_error (error);

    /* Bad input: a clear error, nothing changes. */
    espy_device_info_set_name (bad, "no spaces allowed");
    g_assert_false (espy_manual_devices_add (manual, bad, &error));
    g_assert_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_cmpuint (espy_manual_devices_get_entries (manual)->len, ==, 2);

    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
    device = espy_device_store_lookup (store, "porch");
    g_assert_nonnull (device);
    g_assert_cmpstr (espy_device_get_address (device), ==, "127.0.5.7");
    g_assert_cmpint (espy_device_get_ota_transport (device), ==, ESPY_DEVICE_TRANSPORT_WEB);
    g_assert_nonnull (espy_device_store_lookup (store, "10.1.2.3"));
    g_assert_cmpstr (espy_device_get_address (espy_device_store_lookup (store, "10.1.2.3")), ==, "10.1.2.3");
  }

  /* A new instance finds them on disk. */
  {
    g_autoptr(EspyManualDevices) manual = espy_manual_devices_new (NULL);
    g_autoptr(EspyDeviceStore) store = store_new_quiet ();

    g_assert_true (espy_manual_devices_load (manual, &error));
    g_assert_no_error (error);
    espy_device_store_set_manual_devices (store, manual);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
    device = espy_device_store_lookup (store, "porch");
    g_assert_nonnull (device);
    g_assert_cmpstr (espy_device_get_address (device), ==, "127.0.5.7");
    g_assert_cmpuint (espy_device_get_ota_port (device), ==, 3300);
    g_assert_cmpint (espy_device_get_ota_transport (device), ==, ESPY_DEVICE_TRANSPORT_WEB);
    g_assert_cmpint (espy_device_get_sources (device), ==, ESPY_DEVICE_SOURCES_MANUAL);

    /* Removing follows through to the store and the file. */
    g_assert_true (espy_manual_devices_remove (manual, "PORCH", &error));
    g_assert_no_error (error);
    g_assert_null (espy_device_store_lookup (store, "porch"));
    g_assert_false (espy_manual_devices_remove (manual, "porch", &error));
    g_assert_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_NOT_FOUND);
    g_clear_error (&error);
    espy_device_store_set_manual_devices (store, NULL);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  }
  {
    g_autoptr(EspyManualDevices) manual = espy_manual_devices_new (NULL);

    g_assert_true (espy_manual_devices_load (manual, &error));
    g_assert_cmpuint (espy_manual_devices_get_entries (manual)->len, ==, 1);
  }
}

static void
test_manual_corrupt (void)
{
  g_autofree char *path = g_build_filename (tmp_root, "corrupt", "manual-devices.json", NULL);
  g_autofree char *bad_path = g_strconcat (path, ".bad", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  static const char *const garbage[] = {
    "{\"devices\": [ {\"name\": \"x\"",                 /* truncated */
    "[1, 2, 3]",                                        /* not ours */
    "{\"devices\": [ {\"name\": \"x\", \"api_port\": 70000} ]}",
    "{\"devices\": [ {\"name\": 5} ]}",
    "\xff\xfe garbage",
  };

  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr(EspyManualDevices) manual = espy_manual_devices_new (path);
      g_autoptr(GError) error = NULL;
      g_autofree char *kept = NULL;
      g_autoptr(EspyDeviceInfo) entry = info_new ("fresh", NULL);

      g_remove (bad_path);
      g_assert_true (g_file_set_contents (path, garbage[i], -1, NULL));
      g_assert_false (espy_manual_devices_load (manual, &error));
      g_assert_error (error, ESPY_MANUAL_DEVICES_ERROR, ESPY_MANUAL_DEVICES_ERROR_CORRUPT);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, bad_path));
      g_assert_cmpuint (espy_manual_devices_get_entries (manual)->len, ==, 0);
      /* The user's bytes are kept, untouched, out of the way. */
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      g_assert_true (g_file_get_contents (bad_path, &kept, NULL, NULL));
      g_assert_cmpstr (kept, ==, garbage[i]);

      /* And the list works again. */
      g_assert_true (espy_manual_devices_add (manual, entry, NULL));
      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
    }
}

/* --- probes --------------------------------------------------------------- */

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  GPtrArray *held = user_data;

  /* Hold it: a probe must close by itself. */
  g_ptr_array_add (held, g_object_ref (connection));
  return TRUE;
}

static GSocketService *
listen_loopback (guint16   *port,
                 GPtrArray *held)
{
  GSocketService *service = g_socket_service_new ();
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (service), any, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error));
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (service, "incoming", G_CALLBACK (incoming_cb), held);
  g_socket_service_start (service);
  return service;
}

static gboolean
is_online (gpointer data)
{
  return espy_device_get_online (data);
}

static gboolean
is_offline (gpointer data)
{
  return !espy_device_get_online (data);
}

/* A port nothing listens on (bound, then closed). */
static guint16
closed_port (void)
{
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (sock, any, TRUE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_probe_online_offline (void)
{
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(EspyDeviceStore) store = espy_device_store_new ();
  g_autoptr(EspyDeviceInfo) entry = info_new ("bench", NULL);
  g_autoptr(EspyDeviceInfo) mdns = info_new ("bench", "0000000000bb");
  g_autoptr(GSocketService) service = NULL;
  EspyProbeTarget answered;
  guint ms = 0;
  guint16 port = 0;
  EspyDevice *device;

  service = listen_loopback (&port, held);
  espy_device_store_set_probe_interval (store, 200);
  espy_device_store_set_probe_limits (store, 8, 500);

  espy_device_info_set_host (entry, "127.0.0.1");
  entry->api_port = port;
  entry->ota_port = closed_port ();
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MANUAL, "bench", entry);
  device = espy_device_store_lookup (store, "bench");
  g_assert_false (espy_device_get_online (device));

  g_assert_true (wait_until (is_online, device, 5000));
  g_assert_cmpint (espy_device_get_sources (device), ==, ESPY_DEVICE_SOURCES_MANUAL | ESPY_DEVICE_SOURCES_PROBE);
  g_assert_true (espy_device_get_probe_result (device, &answered, &ms));
  g_assert_cmpint (answered.service, ==, ESPY_PROBE_SERVICE_API);
  g_assert_cmpuint (answered.port, ==, port);
  g_assert_cmpuint (ms, <, 500);
  g_test_message ("%s", espy_device_get_reachability (device));
  g_assert_true (g_str_has_prefix (espy_device_get_reachability (device), "Answers on the API port ("));
  g_assert_true (g_str_has_suffix (espy_device_get_reachability (device), " ms)"));
  g_assert_cmpuint (held->len, >=, 1);

  /* Seen via mDNS: no more probes needed. */
  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, "bench", mdns);
  g_assert_true (espy_device_get_online (device));
  g_assert_cmpint (espy_device_get_sources (device) & ESPY_DEVICE_SOURCES_PROBE, ==, 0);
  spin (100);   /* a probe in flight may still land */
  {
    guint before = held->len;

    spin (700);
    g_assert_cmpuint (held->len, ==, before);
  }
  espy_device_store_remove (store, ESPY_DEVICE_SOURCE_MDNS, "bench");
  /* Gone from mDNS: probed again at once, and found. */
  g_assert_true (wait_until (is_online, device, 5000));

  /* The device stops answering: offline after the next probe. */
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_assert_true (wait_until (is_offline, device, 5000));
  g_test_message ("%s", espy_device_get_reachability (device));
  g_assert_true (g_str_has_prefix (espy_device_get_reachability (device), "Not seen since "));
  g_assert_false (espy_device_get_probe_result (device, NULL, NULL));
  g_assert_cmpint (espy_device_get_sources (device), ==, ESPY_DEVICE_SOURCES_MANUAL);
}

/* Sockets of this process's network namespace in SYN-SENT to PORT on
 * loopback: connects the listener does not answer. /proc/net/tcp is read
 * in pages and is not a snapshot: a socket opened or closed between two
 * pages can shift another into the next page and list it twice, so sockets
 * are counted by inode. */
static guint
count_syn_sent (guint16 port)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *needle = g_strdup_printf ("0100007F:%04X", port);
  g_autoptr(GHashTable) inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!g_file_get_contents ("/proc/net/tcp", &contents, NULL, NULL))
    return 0;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autoptr(GPtrArray) fields = g_ptr_array_new ();

      for (guint j = 0; f[j] != NULL; j++)
        if (*f[j] != '\0')
          g_ptr_array_add (fields, f[j]);
      /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
      if (fields->len > 9 && g_strcmp0 (g_ptr_array_index (fields, 2), needle) == 0 &&
          g_strcmp0 (g_ptr_array_index (fields, 3), "02") == 0)
        g_hash_table_add (inodes, g_strdup (g_ptr_array_index (fields, 9)));
    }
  return g_hash_table_size (inodes);
}

/* A loopback listener that never accepts and whose queue is full: further
 * SYNs are dropped, so connects to it hang until the probe gives up. */
static GSocket *
stuck_listener (guint16   *port,
                GPtrArray *fillers)
{
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (sock, any, TRUE, NULL));
  g_socket_set_listen_backlog (sock, 0);
  g_assert_true (g_socket_listen (sock, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  for (guint i = 0; i < 3; i++)
    {
      GSocket *filler = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr(GSocketAddress) dest = g_inet_socket_address_new (lo, *port);

      g_socket_set_blocking (filler, FALSE);
      g_socket_connect (filler, dest, NULL, NULL);
      g_ptr_array_add (fillers, filler);
    }
  spin (100);
  return sock;
}

typedef struct {
  guint16 port;
  guint   baseline;       /* the fillers' own SYN-SENT sockets */
  guint   max_syn_sent;
  guint   max_active;
  EspyReachabilityProber *prober;
  guint   done;
  guint   timed_out;
} Watch;

static gboolean
watch_cb (gpointer data)
{
  Watch *w = data;

  guint n = count_syn_sent (w->port);

  w->max_syn_sent = MAX (w->max_syn_sent, n > w->baseline ? n - w->baseline : 0);
  if (w->prober != NULL)
    w->max_active = MAX (w->max_active, espy_reachability_prober_get_active (w->prober));
  return G_SOURCE_CONTINUE;
}

static void
prober_done_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Watch *w = data;
  g_autoptr(GError) error = NULL;

  g_assert_false (espy_reachability_prober_probe_finish (ESPY_REACHABILITY_PROBER (object), result,
                                                         NULL, NULL, &error));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    w->timed_out++;
  w->done++;
}

static gboolean
all_done (gpointer data)
{
  return ((Watch *) data)->done == 12;
}

static void
test_probe_bounded (void)
{
  g_autoptr(GPtrArray) fillers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(EspyReachabilityProber) prober = espy_reachability_prober_new (3, 300);
  g_autoptr(GSocket) stuck = NULL;
  Watch w = { 0, };
  EspyProbeTarget target = { ESPY_PROBE_SERVICE_OTA, 0 };
  gint64 start;
  guint watch_id;

  stuck = stuck_listener (&w.port, fillers);
  w.baseline = count_syn_sent (w.port);
  target.port = w.port;
  w.prober = prober;
  watch_id = g_timeout_add (5, watch_cb, &w);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < 12; i++)
    espy_reachability_prober_probe_async (prober, "127.0.0.1", &target, 1, NULL, prober_done_cb, &w);
  g_assert_cmpuint (espy_reachability_prober_get_active (prober), ==, 3);
  g_assert_true (wait_until (all_done, &w, 10000));
  g_source_remove (watch_id);

  g_test_message ("max SYN-SENT %u, max active %u, %" G_GINT64_FORMAT " ms",
                  w.max_syn_sent, w.max_active, (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpuint (w.timed_out, ==, 12);
  g_assert_cmpuint (w.max_active, ==, 3);
  /* Real sockets: never more than the limit connecting at once, but the limit is used. */
  g_assert_cmpuint (w.max_syn_sent, <=, 3);
  g_assert_cmpuint (w.max_syn_sent, >=, 2);
  /* 12 probes, 3 at a time, 300 ms each: at least 4 rounds. */
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, >=, 4 * 300 - 50);
  spin (50);
  g_assert_cmpuint (count_syn_sent (w.port), ==, w.baseline);
}

static gboolean
store_probes_settled (gpointer data)
{
  EspyDeviceStore *store = data;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (store)); i++)
    if (g_str_equal (espy_device_get_reachability (item (store, i)), "Not checked yet"))
      return FALSE;
  return TRUE;
}

static void
test_probe_store_bounded (void)
{
  g_autoptr(GPtrArray) fillers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(EspyDeviceStore) store = espy_device_store_new ();
  g_autoptr(GSocket) stuck = NULL;
  Watch w = { 0, };
  guint watch_id;

  stuck = stuck_listener (&w.port, fillers);
  w.baseline = count_syn_sent (w.port);
  espy_device_store_set_probe_limits (store, 4, 250);
  espy_device_store_set_probe_interval (store, 60000);
  watch_id = g_timeout_add (5, watch_cb, &w);

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("stuck%u", i);
      g_autoptr(EspyDeviceInfo) entry = info_new (name, NULL);

      espy_device_info_set_host (entry, "127.0.0.1");
      entry->api_port = w.port;
      entry->ota_port = w.port;
      espy_device_store_update (store, ESPY_DEVICE_SOURCE_MANUAL, name, entry);
    }
  g_assert_true (wait_until (store_probes_settled, store, 15000));
  g_source_remove (watch_id);
  g_test_message ("max SYN-SENT %u", w.max_syn_sent);
  g_assert_cmpuint (w.max_syn_sent, <=, 4);
  g_assert_cmpuint (w.max_syn_sent, >=, 3);
  for (guint i = 0; i < 10; i++)
    {
      g_assert_false (espy_device_get_online (item (store, i)));
      g_assert_cmpstr (espy_device_get_reachability (item (store, i)), ==, "Not seen on the network");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = NULL;
  int ret;

  tmp_root = g_dir_make_tmp ("espy-test-store-XXXXXX", NULL);
  g_assert_nonnull (tmp_root);
  /* Before anything asks GLib for user dirs: it caches them. */
  data_home = g_build_filename (tmp_root, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("LC_ALL", "C", TRUE);
  /* The `esphome` stand-in; test_update_available writes it. Set here:
   * setenv() is unsafe once GLib has started threads. */
  {
    g_autofree char *esphome = g_build_filename (tmp_root, "bin", "esphome", NULL);

    g_setenv ("ESPY_ESPHOME", esphome, TRUE);
  }

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/store/version/compare", test_version_compare);
  g_test_add_func ("/store/version/esphome-output", test_version_output);
  g_test_add_func ("/store/info/mac", test_mac);
  g_test_add_func ("/store/merge/priorities", test_merge_priorities);
  g_test_add_func ("/store/merge/same-name-different-mac", test_merge_same_name_different_mac);
  g_test_add_func ("/store/merge/mac-suffix", test_merge_mac_suffix);
  g_test_add_func ("/store/remove/last-source", test_remove_last_source);
  g_test_add_func ("/store/model/items-changed", test_items_changed);
  g_test_add_func ("/store/update-available", test_update_available);
  g_test_add_func ("/store/manual/persist", test_manual_persist);
  g_test_add_func ("/store/manual/corrupt", test_manual_corrupt);
  g_test_add_func ("/store/probe/online-offline", test_probe_online_offline);
  g_test_add_func ("/store/probe/bounded", test_probe_bounded);
  g_test_add_func ("/store/probe/store-bounded", test_probe_store_bounded);

  ret = g_test_run ();
  rm_rf (tmp_root);
  g_free (tmp_root);
  return ret;
}
