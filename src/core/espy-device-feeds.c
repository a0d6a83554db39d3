/* espy-device-feeds.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-device-feeds.h"

EspyDeviceInfo *
espy_device_info_new_for_mdns_record (const EspyMdnsRecord *record)
{
  EspyDeviceInfo *info = espy_device_info_new ();
  const char *mac = espy_mdns_record_get_mac (record);

  espy_device_info_set_name (info, espy_mdns_record_get_name (record));
  espy_device_info_set_friendly_name (info, espy_mdns_record_get_friendly_name (record));
  if (mac != NULL)
    espy_device_info_set_mac (info, mac);
  espy_device_info_set_addresses (info, espy_mdns_record_get_addresses (record));
  espy_device_info_set_host (info, espy_mdns_record_get_host_name (record));
  info->api_port = espy_mdns_record_get_port (record);
  info->web_port = espy_mdns_record_get_web_port (record);
  espy_device_info_set_platform (info, espy_mdns_record_get_platform (record));
  espy_device_info_set_board (info, espy_mdns_record_get_board (record));
  espy_device_info_set_version (info, espy_mdns_record_get_version (record));
  espy_device_info_set_network (info, espy_mdns_record_get_network (record));
  /* The TXT key is there exactly when a key is set; "supported" when the
   * firmware could use one. Old firmware says neither: that is "no". */
  info->api_encryption = espy_mdns_record_get_api_encryption (record) != NULL ? ESPY_TRISTATE_YES
                                                                              : ESPY_TRISTATE_NO;
  info->api_encryption_supported =
    (espy_mdns_record_get_api_encryption (record) != NULL ||
     espy_mdns_record_get_api_encryption_supported (record) != NULL) ? ESPY_TRISTATE_YES
                                                                     : ESPY_TRISTATE_UNKNOWN;
  espy_device_info_set_project_name (info, espy_mdns_record_get_project_name (record));
  espy_device_info_set_project_version (info, espy_mdns_record_get_project_version (record));
  espy_device_info_set_package_import_url (info, espy_mdns_record_get_package_import_url (record));
  espy_device_info_set_config_hash (info, espy_mdns_record_get_config_hash (record));
  return info;
}

EspyDeviceInfo *
espy_device_info_new_for_config (EspyDeviceConfig *config)
{
  EspyDeviceInfo *info = espy_device_info_new ();
  g_autofree char *path = g_file_get_path (espy_device_config_get_file (config));
  const char *static_ip = espy_device_config_get_static_ip (config);

  espy_device_info_set_name (info, espy_device_config_get_name (config));
  espy_device_info_set_friendly_name (info, espy_device_config_get_friendly_name (config));
  espy_device_info_set_platform (info, espy_device_config_get_platform (config));
  espy_device_info_set_board (info, espy_device_config_get_board (config));
  info->ota_port = espy_device_config_get_ota_port (config);
  if (espy_device_config_has_api (config))
    {
      info->api_port = espy_device_config_get_api_port (config);
      info->api_encryption = espy_device_config_get_api_encryption_key (config) != NULL ? ESPY_TRISTATE_YES
                                                                                        : ESPY_TRISTATE_NO;
    }
  if (espy_device_config_has_web_server (config))
    info->web_port = espy_device_config_get_web_server_port (config);
  /* Only an explicit use_address is a host: name.local is the store's own fallback. */
  espy_device_info_set_host (info, espy_device_config_get_use_address (config));
  if (static_ip != NULL)
    espy_device_info_add_address (info, static_ip);
  espy_device_info_set_config_path (info, path);
  espy_device_info_set_deployed_version (info, espy_device_config_get_deployed_version (config));

  if (espy_device_config_find_ota (config, "esphome") != NULL)
    info->ota_transport = ESPY_DEVICE_TRANSPORT_OTA;
  else if (espy_device_config_find_ota (config, "web_server") != NULL ||
           espy_device_config_get_web_server_ota (config))
    info->ota_transport = ESPY_DEVICE_TRANSPORT_WEB;
  return info;
}

/* --- discovery -------------------------------------------------------------- */

static void
on_record_changed (EspyDiscovery  *discovery,
                   EspyMdnsRecord *record,
                   gpointer        user_data)
{
  EspyDeviceStore *store = user_data;
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new_for_mdns_record (record);

  espy_device_store_update (store, ESPY_DEVICE_SOURCE_MDNS, espy_mdns_record_get_name (record), info);
}

static void
on_record_removed (EspyDiscovery *discovery,
                   const char    *key,
                   gpointer       user_data)
{
  espy_device_store_remove (ESPY_DEVICE_STORE (user_data), ESPY_DEVICE_SOURCE_MDNS, key);
}

void
espy_device_store_follow_discovery (EspyDeviceStore *store,
                                    EspyDiscovery   *discovery)
{
  g_autoptr(GPtrArray) records = NULL;

  g_return_if_fail (ESPY_IS_DEVICE_STORE (store));
  g_return_if_fail (ESPY_IS_DISCOVERY (discovery));

  g_signal_connect_object (discovery, "record-added", G_CALLBACK (on_record_changed), store, 0);
  g_signal_connect_object (discovery, "record-updated", G_CALLBACK (on_record_changed), store, 0);
  g_signal_connect_object (discovery, "record-removed", G_CALLBACK (on_record_removed), store, 0);

  /* What it already knows. */
  records = espy_discovery_dup_records (discovery);
  for (guint i = 0; i < records->len; i++)
    on_record_changed (discovery, g_ptr_array_index (records, i), store);
}

/* --- configuration folder ---------------------------------------------------- */

#define CONFIG_KEYS_KEY "espy-device-feeds-config-keys"

static void
sync_config_folder (EspyConfigFolder *folder,
                    EspyDeviceStore  *store)
{
  GListModel *model = G_LIST_MODEL (folder);
  GHashTable *previous = g_object_get_data (G_OBJECT (folder), CONFIG_KEYS_KEY);
  g_autoptr(GHashTable) current = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = g_list_model_get_n_items (model);
  GHashTableIter iter;
  const char *key;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDeviceConfig) config = g_list_model_get_item (model, i);
      g_autoptr(EspyDeviceInfo) info = espy_device_info_new_for_config (config);
      g_autofree char *path = g_file_get_path (espy_device_config_get_file (config));

      espy_device_store_update (store, ESPY_DEVICE_SOURCE_CONFIG, path, info);
      g_hash_table_add (current, g_steal_pointer (&path));
    }

  /* Files that went away take their devices' config entries with them. */
  if (previous != NULL)
    {
      g_hash_table_iter_init (&iter, previous);
      while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
        if (!g_hash_table_contains (current, key))
          espy_device_store_remove (store, ESPY_DEVICE_SOURCE_CONFIG, key);
    }
  g_object_set_data_full (G_OBJECT (folder), CONFIG_KEYS_KEY, g_steal_pointer (&current),
                          (GDestroyNotify) g_hash_table_unref);
}

static void
on_config_items_changed (GListModel *model,
                         guint       position,
                         guint       removed,
                         guint       added,
                         gpointer    user_data)
{
  sync_config_folder (ESPY_CONFIG_FOLDER (model), ESPY_DEVICE_STORE (user_data));
}

void
espy_device_store_follow_config_folder (EspyDeviceStore  *store,
                                        EspyConfigFolder *folder)
{
  g_return_if_fail (ESPY_IS_DEVICE_STORE (store));
  g_return_if_fail (ESPY_IS_CONFIG_FOLDER (folder));

  g_signal_connect_object (folder, "items-changed", G_CALLBACK (on_config_items_changed), store, 0);
  sync_config_folder (folder, store);
}
