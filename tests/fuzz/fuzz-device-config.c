/* fuzz-device-config.c: libFuzzer target for reading a device configuration folder
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "espy-device-config.h"
#include "fuzz-common.h"

/* The input is cut at each "\n---8<---\n" into the files of a small
 * ESPHome folder: the device's YAML, secrets.yaml, common.yaml (for
 * !include and packages) and ESPHome's .esphome/storage JSON. Then the real
 * reader loads the device file from disk, with secrets, substitutions,
 * includes and storage, and every accessor runs over the result. */
#define SEPARATOR "\n---8<---\n"

static char *folder;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autofree char *storage = NULL;
  g_autoptr(GError) error = NULL;

  folder = g_dir_make_tmp ("espy-fuzz-config-XXXXXX", &error);
  g_assert_no_error (error);
  storage = g_build_filename (folder, ".esphome", "storage", NULL);
  g_mkdir_with_parents (storage, 0700);
  return 0;
}

static void
put (const char *name,
     const char *data,
     gsize       len)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);

  if (data == NULL)
    {
      g_unlink (path);
      return;
    }
  /* No fsync or rename: durability is not the point here, speed is. */
  if (!g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_NONE, 0600, NULL))
    g_error ("cannot write %s", path);
}

/* memmem, which the input's NUL bytes call for, is a GNU extension. */
static const char *
find_separator (const char *p,
                const char *end)
{
  gsize n = strlen (SEPARATOR);

  for (; (gsize) (end - p) >= n; p++)
    if (memcmp (p, SEPARATOR, n) == 0)
      return p;
  return NULL;
}

static void
check_location (const EspyConfigLocation *location)
{
  if (location == NULL)
    return;
  g_assert (location->path != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char *names[] = {
    "device.yaml", "secrets.yaml", "common.yaml", ".esphome/storage/device.yaml.json",
  };
  const char *pieces[G_N_ELEMENTS (names)] = { NULL, };
  gsize lens[G_N_ELEMENTS (names)] = { 0, };
  const char *p = (const char *) data;
  const char *end = p + size;
  g_autofree char *device_path = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(EspyDeviceConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_init_logging ();
  if (folder == NULL)
    LLVMFuzzerInitialize (NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (names) && p != NULL; i++)
    {
      const char *cut = find_separator (p, end);

      pieces[i] = p;
      lens[i] = cut != NULL ? (gsize) (cut - p) : (gsize) (end - p);
      p = cut != NULL ? cut + strlen (SEPARATOR) : NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    put (names[i], pieces[i] != NULL ? pieces[i] : (i == 0 ? "" : NULL), lens[i]);

  device_path = g_build_filename (folder, names[0], NULL);
  file = g_file_new_for_path (device_path);
  config = espy_device_config_new_for_file (file, NULL, &error);
  if (config == NULL)
    {
      g_assert (error != NULL);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  g_assert (espy_device_config_get_name (config) != NULL);
  (void) espy_device_config_get_friendly_name (config);
  (void) espy_device_config_get_comment (config);
  (void) espy_device_config_matches_name (config, "device");
  (void) espy_device_config_get_platform (config);
  (void) espy_device_config_get_board (config);
  for (guint i = 0; i < espy_device_config_get_n_ota (config); i++)
    check_location (espy_device_config_get_ota (config, i)->password_location);
  (void) espy_device_config_find_ota (config, "esphome");
  (void) espy_device_config_get_ota_port (config);
  (void) espy_device_config_has_api (config);
  (void) espy_device_config_get_api_port (config);
  (void) espy_device_config_get_api_encryption_key (config);
  (void) espy_device_config_has_web_server (config);
  (void) espy_device_config_get_web_server_port (config);
  (void) espy_device_config_get_web_server_ota (config);
  (void) espy_device_config_get_address (config);
  (void) espy_device_config_has_safe_mode (config);
  (void) espy_device_config_get_remote_packages (config);
  (void) espy_device_config_get_included_files (config);
  (void) espy_device_config_get_warnings (config);
  (void) espy_device_config_get_deployed_version (config);
  (void) espy_device_config_get_firmware_bin_path (config);
  (void) espy_device_config_get_storage_address (config);
  (void) espy_device_config_get_loaded_integrations (config);
  (void) espy_device_config_get_digest (config);
  g_free (espy_device_config_to_string (config));
  return 0;
}
