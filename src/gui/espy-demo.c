/* espy-demo.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "espy-demo.h"
#include "espy-sim-device.h"

typedef struct {
  const char        *name;
  const char        *friendly_name;
  const char        *platform;
  const char        *board;
  const char        *version;
  EspySimGeneration  generation;
  const char        *password;        /* demo only, never written anywhere */
  gboolean           api_encryption;
  gboolean           offline;         /* in the store, but nothing answers */
  const char        *fault;           /* espy_sim_fault_parse() syntax */
  gsize              image_size;
  guint64            flash_rate;      /* bytes per second */
} DemoSpec;

static const DemoSpec demo_specs[] = {
  { "living-room-sensor", "Living Room Sensor", "ESP32", "esp32dev", "2026.1.0",
    ESPY_SIM_GENERATION_2026_1, "living-room-demo", FALSE, FALSE, NULL, 900 * 1024, 300 * 1024 },
  { "garage-door", "Garage Door", "ESP8266", "d1_mini", "2024.2.1",
    ESPY_SIM_GENERATION_2024_2, NULL, FALSE, FALSE, NULL, 480 * 1024, 120 * 1024 },
  { "greenhouse", "Greenhouse", "RP2040", "rpipicow", ESPY_DEMO_ESPHOME_VERSION,
    ESPY_SIM_GENERATION_2026_1, NULL, FALSE, FALSE, NULL, 640 * 1024, 250 * 1024 },
  { "hallway-display", "Hallway Display", "ESP32", "esp32-s3-devkitc-1", "2025.10.3",
    ESPY_SIM_GENERATION_2025_10, NULL, TRUE, FALSE, NULL, 1400 * 1024, 400 * 1024 },
  { "workshop-plug", "Workshop Plug", "ESP32", "esp32-c3-devkitm-1", "2025.10.3",
    ESPY_SIM_GENERATION_2025_10, NULL, FALSE, FALSE, "prepare:error:0x89", 1100 * 1024, 300 * 1024 },
  { "attic-fan", "Attic Fan", "ESP32", "esp32dev", "2025.2.0",
    ESPY_SIM_GENERATION_2025_10, NULL, FALSE, TRUE, NULL, 900 * 1024, 300 * 1024 },
};

typedef struct {
  EspyDemo       *demo;           /* unowned */
  const DemoSpec *spec;
  EspySimDevice  *sim;            /* NULL for the offline one */
  guint16         ota_port;
  GFile          *firmware;
  GFile          *config;
} DemoDevice;

struct _EspyDemo
{
  GObject          parent_instance;

  EspyDeviceStore *store;
  GPtrArray       *devices;       /* DemoDevice */
  GPtrArray       *manual_keys;   /* char*: devices added by address */
  char            *folder;
  GCancellable    *cancellable;
  /* Refuses connections: the API port of every demo device (none of them
   * serves the native API) and the offline device's OTA port. */
  guint16          closed_port;
  gboolean         started;
};

G_DEFINE_FINAL_TYPE (EspyDemo, espy_demo, G_TYPE_OBJECT)

static void
demo_device_free (DemoDevice *device)
{
  if (device->sim != NULL)
    {
      g_signal_handlers_disconnect_by_data (device->sim, device);
      espy_sim_device_stop (device->sim);
      g_object_unref (device->sim);
    }
  g_clear_object (&device->firmware);
  g_clear_object (&device->config);
  g_free (device);
}

static char *
demo_key (const char *kind,
          const char *name)
{
  return g_strconcat (ESPY_DEMO_KEY_PREFIX, kind, ":", name, NULL);
}

/* What a manual entry would say about the device, plus what it "runs". */
static void
espy_demo_feed_device (EspyDemo   *self,
                       DemoDevice *device)
{
  const DemoSpec *spec = device->spec;
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();
  g_autoptr(EspyDeviceInfo) config = espy_device_info_new ();
  g_autofree char *key = demo_key ("device", spec->name);
  g_autofree char *config_key = demo_key ("config", spec->name);
  g_autofree char *config_path = g_file_get_path (device->config);
  const char *version = spec->version;

  if (device->sim != NULL)
    version = espy_sim_device_get_version (device->sim);

  espy_device_info_set_name (info, spec->name);
  espy_device_info_set_friendly_name (info, spec->friendly_name);
  espy_device_info_set_host (info, "127.0.0.1");
  espy_device_info_set_platform (info, spec->platform);
  espy_device_info_set_board (info, spec->board);
  espy_device_info_set_version (info, version);
  espy_device_info_set_network (info, "wifi");
  info->ota_port = device->ota_port;
  info->api_port = self->closed_port;
  info->ota_transport = ESPY_DEVICE_TRANSPORT_OTA;
  info->api_encryption = spec->api_encryption ? ESPY_TRISTATE_YES : ESPY_TRISTATE_NO;
  info->api_encryption_supported = ESPY_TRISTATE_YES;
  espy_device_store_update (self->store, ESPY_DEVICE_SOURCE_MANUAL, key, info);

  /* A configuration "in the folder", so the store can offer updates. */
  espy_device_info_set_name (config, spec->name);
  espy_device_info_set_friendly_name (config, spec->friendly_name);
  espy_device_info_set_platform (config, spec->platform);
  espy_device_info_set_board (config, spec->board);
  espy_device_info_set_config_path (config, config_path);
  espy_device_info_set_deployed_version (config, ESPY_DEMO_ESPHOME_VERSION);
  config->ota_port = device->ota_port;
  config->api_port = self->closed_port;
  config->api_encryption = info->api_encryption;
  espy_device_store_update (self->store, ESPY_DEVICE_SOURCE_CONFIG, config_key, config);
}

static void
sim_state_changed_cb (EspySimDevice *sim,
                      guint          state,
                      DemoDevice    *device)
{
  /* Back from the reboot after an upload: it now runs the image's version. */
  if (state == ESPY_SIM_STATE_RUNNING && device->demo->started)
    espy_demo_feed_device (device->demo, device);
}

static guint16
find_closed_port (GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  /* Bind to a free port and let it go: nothing listens there afterwards. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL || !g_socket_bind (socket, address, FALSE, error))
    return 0;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return 0;

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
file_written_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Demo mode: could not write %s: %s", g_file_peek_path (G_FILE (object)), error->message);
}

static void
espy_demo_write_file (EspyDemo *self,
                      GFile    *file,
                      GBytes   *bytes)
{
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_PRIVATE,
                                       self->cancellable, file_written_cb, NULL);
}

static GBytes *
demo_config_text (const DemoSpec *spec,
                  guint16         ota_port)
{
  const char *platform_block = g_ascii_strcasecmp (spec->platform, "ESP8266") == 0 ? "esp8266"
                             : g_ascii_strcasecmp (spec->platform, "RP2040") == 0 ? "rp2040"
                             : "esp32";
  GString *text = g_string_new (NULL);

  g_string_append_printf (text,
                          "# Espy demo mode: a made-up device, removed when Espy quits.\n"
                          "esphome:\n"
                          "  name: %s\n"
                          "  friendly_name: %s\n"
                          "\n"
                          "%s:\n"
                          "  board: %s\n"
                          "\n"
                          "wifi:\n"
                          "  use_address: 127.0.0.1\n"
                          "\n"
                          "api:\n"
                          "\n"
                          "ota:\n"
                          "  - platform: esphome\n"
                          "    port: %u\n",
                          spec->name, spec->friendly_name, platform_block, spec->board, ota_port);

  return g_string_free_to_bytes (text);
}

static gboolean
espy_demo_start_device (EspyDemo        *self,
                        const DemoSpec  *spec,
                        guint32          seed,
                        GError         **error)
{
  DemoDevice *device = g_new0 (DemoDevice, 1);
  g_autofree char *firmware_name = g_strconcat (spec->name, ".bin", NULL);
  g_autofree char *config_name = g_strconcat (spec->name, ".yaml", NULL);
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GBytes) config = NULL;

  device->demo = self;
  device->spec = spec;
  device->firmware = g_file_new_build_filename (self->folder, firmware_name, NULL);
  device->config = g_file_new_build_filename (self->folder, config_name, NULL);

  if (spec->offline)
    device->ota_port = self->closed_port;
  else
    {
      device->sim = espy_sim_device_new (spec->name);
      espy_sim_device_set_friendly_name (device->sim, spec->friendly_name);
      espy_sim_device_set_platform (device->sim, spec->platform);
      espy_sim_device_set_board (device->sim, spec->board);
      espy_sim_device_set_version (device->sim, spec->version);
      espy_sim_device_set_generation (device->sim, spec->generation);
      espy_sim_device_set_password (device->sim, spec->password);
      espy_sim_device_set_flash_rate (device->sim, spec->flash_rate);
      espy_sim_device_set_erase_ms_per_mib (device->sim, 400);
      espy_sim_device_set_boot_ms (device->sim, 1500);
      if (spec->fault != NULL)
        {
          EspySimStep step;
          EspySimFaultKind kind;
          guint8 code;

          if (!espy_sim_fault_parse (spec->fault, &step, &kind, &code, error))
            {
              demo_device_free (device);
              return FALSE;
            }
          espy_sim_device_add_fault (device->sim, step, kind, code);
        }
      if (!espy_sim_device_start (device->sim, error))
        {
          demo_device_free (device);
          return FALSE;
        }
      device->ota_port = espy_sim_device_get_ota_port (device->sim);
      g_signal_connect (device->sim, "state-changed", G_CALLBACK (sim_state_changed_cb), device);
    }

  /* The build "ESPHome made" for this device: the installed version. */
  image = espy_sim_make_image (spec->image_size, ESPY_DEMO_ESPHOME_VERSION, NULL, seed);
  espy_demo_write_file (self, device->firmware, image);
  config = demo_config_text (spec, device->ota_port);
  espy_demo_write_file (self, device->config, config);

  g_ptr_array_add (self->devices, device);
  return TRUE;
}

gboolean
espy_demo_start (EspyDemo  *self,
                 GError   **error)
{
  g_return_val_if_fail (ESPY_IS_DEMO (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  self->folder = g_dir_make_tmp ("espy-demo-XXXXXX", error);
  if (self->folder == NULL)
    return FALSE;

  self->closed_port = find_closed_port (error);
  if (self->closed_port == 0)
    return FALSE;

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  for (guint i = 0; i < G_N_ELEMENTS (demo_specs); i++)
    if (!espy_demo_start_device (self, &demo_specs[i], 0x5eed0000u + i, error))
      {
        espy_demo_stop (self);
        return FALSE;
      }

  self->started = TRUE;
  espy_device_store_set_esphome_version (self->store, ESPY_DEMO_ESPHOME_VERSION);
  for (guint i = 0; i < self->devices->len; i++)
    espy_demo_feed_device (self, g_ptr_array_index (self->devices, i));

  return TRUE;
}

static void
remove_folder (const char *folder)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (folder == NULL)
    return;

  /* Flat: only the files espy_demo_start() wrote. */
  dir = g_dir_open (folder, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_unlink (path);
    }
  g_rmdir (folder);
}

void
espy_demo_stop (EspyDemo *self)
{
  g_return_if_fail (ESPY_IS_DEMO (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  for (guint i = 0; i < self->devices->len; i++)
    {
      DemoDevice *device = g_ptr_array_index (self->devices, i);
      g_autofree char *key = demo_key ("device", device->spec->name);
      g_autofree char *config_key = demo_key ("config", device->spec->name);

      if (self->started)
        {
          espy_device_store_remove (self->store, ESPY_DEVICE_SOURCE_MANUAL, key);
          espy_device_store_remove (self->store, ESPY_DEVICE_SOURCE_CONFIG, config_key);
        }
    }
  for (guint i = 0; i < self->manual_keys->len; i++)
    espy_device_store_remove (self->store, ESPY_DEVICE_SOURCE_MANUAL, g_ptr_array_index (self->manual_keys, i));

  self->started = FALSE;
  g_ptr_array_set_size (self->devices, 0);
  g_ptr_array_set_size (self->manual_keys, 0);

  remove_folder (self->folder);
  g_clear_pointer (&self->folder, g_free);
}

static DemoDevice *
espy_demo_find (EspyDemo   *self,
                EspyDevice *device)
{
  const char *name = espy_device_get_name (device);

  for (guint i = 0; i < self->devices->len; i++)
    {
      DemoDevice *demo_device = g_ptr_array_index (self->devices, i);

      if (g_ascii_strcasecmp (demo_device->spec->name, name) == 0)
        return demo_device;
    }

  return NULL;
}

GFile *
espy_demo_dup_firmware (EspyDemo   *self,
                        EspyDevice *device)
{
  DemoDevice *demo_device;

  g_return_val_if_fail (ESPY_IS_DEMO (self), NULL);
  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  demo_device = espy_demo_find (self, device);
  return demo_device != NULL ? g_object_ref (demo_device->firmware) : NULL;
}

char *
espy_demo_dup_password (EspyDemo   *self,
                        EspyDevice *device)
{
  DemoDevice *demo_device;

  g_return_val_if_fail (ESPY_IS_DEMO (self), NULL);
  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  demo_device = espy_demo_find (self, device);
  return demo_device != NULL ? g_strdup (demo_device->spec->password) : NULL;
}

gboolean
espy_demo_add_device (EspyDemo              *self,
                      const EspyDeviceInfo  *entry,
                      GError               **error)
{
  g_autofree char *entry_key = NULL;
  char *key;

  g_return_val_if_fail (ESPY_IS_DEMO (self), FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);

  entry_key = espy_manual_devices_entry_key (entry);
  if (entry_key == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A device needs a name or an address"));
      return FALSE;
    }

  key = demo_key ("manual", entry_key);
  if (!espy_device_store_update (self->store, ESPY_DEVICE_SOURCE_MANUAL, key, entry))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A device needs a name or an address"));
      g_free (key);
      return FALSE;
    }
  g_ptr_array_add (self->manual_keys, key);

  return TRUE;
}

static void
espy_demo_dispose (GObject *object)
{
  EspyDemo *self = ESPY_DEMO (object);

  if (self->devices != NULL)
    espy_demo_stop (self);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (espy_demo_parent_class)->dispose (object);
}

static void
espy_demo_finalize (GObject *object)
{
  EspyDemo *self = ESPY_DEMO (object);

  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_clear_pointer (&self->manual_keys, g_ptr_array_unref);

  G_OBJECT_CLASS (espy_demo_parent_class)->finalize (object);
}

static void
espy_demo_class_init (EspyDemoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_demo_dispose;
  object_class->finalize = espy_demo_finalize;
}

static void
espy_demo_init (EspyDemo *self)
{
  self->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) demo_device_free);
  self->manual_keys = g_ptr_array_new_with_free_func (g_free);
}

EspyDemo *
espy_demo_new (EspyDeviceStore *store)
{
  EspyDemo *self;

  g_return_val_if_fail (ESPY_IS_DEVICE_STORE (store), NULL);

  self = g_object_new (ESPY_TYPE_DEMO, NULL);
  self->store = g_object_ref (store);

  return self;
}
