/* espy-cli-devices.c: `espy-cli discover` (what mDNS announces) and
 * `espy-cli devices` (the merged list the app shows: mDNS, the configuration
 * folder and devices added by address, with reachability).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>

#include "espy-cli-common.h"
#include "espy-config-folder.h"
#include "espy-device-feeds.h"
#include "espy-device-store.h"
#include "espy-discovery.h"
#include "espy-manual-devices.h"

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Runs the default main context for SECONDS. */
static void
listen_for (double seconds)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_timeout_add ((guint) (seconds * 1000), quit_loop, loop);
  g_main_loop_run (loop);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static gboolean
parse_options (GOptionContext  *context,
               const char      *command,
               int             *argc,
               char          ***argv)
{
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      print_errorf (_("%s (see “espy-cli %s --help”)"), error->message, command);
      return FALSE;
    }
  if (*argc != 1)
    {
      print_errorf (_("unexpected argument “%s” (see “espy-cli %s --help”)"), (*argv)[1], command);
      return FALSE;
    }
  return TRUE;
}

int
cmd_discover (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(EspyDiscovery) discovery = NULL;
  g_autoptr(GPtrArray) records = NULL;
  double timeout = 3.0;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout, N_("Seconds to listen (default 3)"), N_("SECONDS") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("One JSON object per device and line"), NULL },
    { NULL }
  };

  g_set_prgname ("espy-cli discover");
  g_option_context_set_summary (context, _("Lists the ESPHome devices that announce themselves over mDNS."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, "discover", &argc, &argv))
    return EXIT_USAGE;
  if (timeout < 0 || timeout > 3600)
    {
      print_error (_("--timeout must be between 0 and 3600 seconds"));
      return EXIT_USAGE;
    }

  discovery = espy_discovery_new ();
  espy_discovery_start (discovery);
  listen_for (timeout);
  if (espy_discovery_get_state (discovery) == ESPY_DISCOVERY_STATE_UNAVAILABLE)
    {
      print_error (espy_discovery_get_message (discovery));
      return EXIT_NETWORK;
    }

  records = espy_discovery_dup_records (discovery);
  for (guint i = 0; i < records->len; i++)
    {
      EspyMdnsRecord *r = g_ptr_array_index (records, i);

      if (json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();

          json_builder_begin_object (b);
          add_string (b, "name", espy_mdns_record_get_name (r));
          add_string (b, "friendly_name", espy_mdns_record_get_friendly_name (r));
          add_string (b, "address", espy_mdns_record_get_address (r));
          json_builder_set_member_name (b, "port");
          json_builder_add_int_value (b, espy_mdns_record_get_port (r));
          add_string (b, "version", espy_mdns_record_get_version (r));
          add_string (b, "platform", espy_mdns_record_get_platform (r));
          add_string (b, "board", espy_mdns_record_get_board (r));
          add_string (b, "mac", espy_mdns_record_get_mac (r));
          add_string (b, "network", espy_mdns_record_get_network (r));
          add_string (b, "api_encryption", espy_mdns_record_get_api_encryption (r));
          json_builder_end_object (b);
          print_json (b);
        }
      else
        printf ("%-24s %-16s %5u  %-10s %-8s %s\n", espy_mdns_record_get_name (r),
                espy_mdns_record_get_address (r) ? espy_mdns_record_get_address (r) : "-",
                espy_mdns_record_get_port (r),
                espy_mdns_record_get_version (r) ? espy_mdns_record_get_version (r) : "-",
                espy_mdns_record_get_platform (r) ? espy_mdns_record_get_platform (r) : "-",
                espy_mdns_record_get_friendly_name (r) ? espy_mdns_record_get_friendly_name (r) : "");
    }
  if (!json && records->len == 0)
    printf ("%s\n", _("No ESPHome devices announced themselves. Devices on another subnet or VLAN are not "
                      "seen without an mDNS reflector: add them by address."));
  return EXIT_OK;
}

static void
on_folder_loaded (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GError **error = user_data;

  espy_config_folder_load_finish (ESPY_CONFIG_FOLDER (source), result, error);
}

static void
print_device (EspyDevice *device,
              gboolean    json)
{
  EspyDeviceSources sources = espy_device_get_sources (device);
  g_autoptr(GString) source_names = g_string_new (NULL);

  for (guint s = 0; s < ESPY_DEVICE_N_SOURCES; s++)
    if (sources & (1u << s))
      g_string_append_printf (source_names, "%s%s", source_names->len ? "," : "",
                              espy_device_source_to_nick (s));

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_auto(GStrv) names = g_strsplit (source_names->str, ",", -1);

      json_builder_begin_object (b);
      add_string (b, "name", espy_device_get_name (device));
      add_string (b, "friendly_name", espy_device_get_friendly_name (device));
      add_string (b, "address", espy_device_get_address (device));
      add_string (b, "mac", espy_device_get_mac (device));
      add_string (b, "platform", espy_device_get_platform (device));
      add_string (b, "board", espy_device_get_board (device));
      add_string (b, "version", espy_device_get_version (device));
      json_builder_set_member_name (b, "api_port");
      json_builder_add_int_value (b, espy_device_get_api_port (device));
      json_builder_set_member_name (b, "ota_port");
      json_builder_add_int_value (b, espy_device_get_ota_port (device));
      json_builder_set_member_name (b, "web_port");
      json_builder_add_int_value (b, espy_device_get_web_port (device));
      json_builder_set_member_name (b, "sources");
      json_builder_begin_array (b);
      for (guint i = 0; names[i] != NULL && names[i][0] != '\0'; i++)
        json_builder_add_string_value (b, names[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "online");
      json_builder_add_boolean_value (b, espy_device_get_online (device));
      add_string (b, "reachability", espy_device_get_reachability (device));
      json_builder_set_member_name (b, "update_available");
      json_builder_add_boolean_value (b, espy_device_get_update_available (device));
      add_string (b, "update_reason", espy_device_get_update_reason (device));
      add_string (b, "config_path", espy_device_get_config_path (device));
      json_builder_end_object (b);
      print_json (b);
      return;
    }

  printf ("%s%s%s\n", espy_device_get_display_name (device),
          g_strcmp0 (espy_device_get_display_name (device), espy_device_get_name (device)) != 0 ? " — " : "",
          g_strcmp0 (espy_device_get_display_name (device), espy_device_get_name (device)) != 0
            ? espy_device_get_name (device) : "");
  printf ("  %-12s %s\n", _("Status:"), espy_device_get_online (device) ? _("online") : _("offline"));
  if (espy_device_get_reachability (device) != NULL)
    printf ("  %-12s %s\n", "", espy_device_get_reachability (device));
  printf ("  %-12s %s\n", _("Address:"), espy_device_get_address (device) ? espy_device_get_address (device) : "-");
  printf ("  %-12s %s %s\n", _("Platform:"),
          espy_device_get_platform (device) ? espy_device_get_platform (device) : "-",
          espy_device_get_board (device) ? espy_device_get_board (device) : "");
  printf ("  %-12s %s\n", _("Version:"), espy_device_get_version (device) ? espy_device_get_version (device) : "-");
  if (espy_device_get_update_available (device))
    printf ("  %-12s %s\n", _("Update:"), espy_device_get_update_reason (device));
  printf ("  %-12s %s\n", _("Sources:"), source_names->str);
}

int
cmd_devices (int    argc,
             char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(EspyDeviceStore) store = NULL;
  g_autoptr(EspyDiscovery) discovery = NULL;
  g_autoptr(EspyConfigFolder) folder = NULL;
  g_autoptr(EspyManualDevices) manual = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config_dir = NULL;
  double timeout = 3.0;
  gboolean json = FALSE;
  guint n;
  const GOptionEntry entries[] = {
    { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, &config_dir,
      N_("The ESPHome configuration folder to read devices from"), N_("DIR") },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout,
      N_("Seconds to listen to mDNS and probe devices (default 3)"), N_("SECONDS") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("One JSON object per device and line"), NULL },
    { NULL }
  };

  g_set_prgname ("espy-cli devices");
  g_option_context_set_summary (context, _("Lists every device Espy knows: announced over mDNS, described by "
                                           "a YAML file of the configuration folder, or added by address; "
                                           "with how each was last reached."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, "devices", &argc, &argv))
    return EXIT_USAGE;
  if (timeout < 0 || timeout > 3600)
    {
      print_error (_("--timeout must be between 0 and 3600 seconds"));
      return EXIT_USAGE;
    }

  store = espy_device_store_new ();
  espy_device_store_detect_esphome_version (store);

  manual = espy_manual_devices_new (NULL);
  if (!espy_manual_devices_load (manual, &error))
    {
      /* A broken list is set aside by the loader; the others still count. */
      g_printerr ("espy-cli: %s\n", error->message);
      g_clear_error (&error);
    }
  espy_device_store_set_manual_devices (store, manual);

  if (config_dir != NULL)
    {
      g_autoptr(GFile) dir = g_file_new_for_commandline_arg (config_dir);
      GPtrArray *errors;

      folder = espy_config_folder_new (dir);
      espy_config_folder_load_async (folder, NULL, on_folder_loaded, &error);
      while (!espy_config_folder_is_loaded (folder) && error == NULL)
        g_main_context_iteration (NULL, TRUE);
      if (error != NULL)
        {
          print_error (error->message);
          return EXIT_BAD_INPUT;
        }
      /* One broken file never hides the others: report it and go on. */
      errors = espy_config_folder_get_errors (folder);
      for (guint i = 0; errors != NULL && i < errors->len; i++)
        g_printerr ("espy-cli: %s\n", ((GError *) g_ptr_array_index (errors, i))->message);
      espy_device_store_follow_config_folder (store, folder);
    }

  discovery = espy_discovery_new ();
  espy_device_store_follow_discovery (store, discovery);
  espy_discovery_start (discovery);
  listen_for (timeout);
  if (espy_discovery_get_state (discovery) == ESPY_DISCOVERY_STATE_UNAVAILABLE)
    g_printerr ("espy-cli: %s\n", espy_discovery_get_message (discovery));

  n = g_list_model_get_n_items (G_LIST_MODEL (store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (G_LIST_MODEL (store), i);

      print_device (device, json);
    }
  if (!json && n == 0)
    printf ("%s\n", _("No devices: none announced itself over mDNS, none was added by address, and no "
                      "configuration folder was given (--config-dir)."));
  return EXIT_OK;
}
