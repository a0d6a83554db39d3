/* test-config-folder.c: reading the user's ESPHome configuration folder:
 * secrets, substitutions, includes, packages, both ota: forms, storage
 * JSON, every refusal (syntax, alias bomb, include loop / outside, missing
 * secret, size, encoding) and the file monitor.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "espy-config-folder.h"
#include "espy-device-config.h"
#include "espy-yaml.h"

static GFile *
fixture (const char *folder,
         const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", "config", folder, name, NULL);

  return g_file_new_for_path (path);
}

static EspyDeviceConfig *
load_ok (const char *folder,
         const char *name)
{
  g_autoptr(GFile) file = fixture (folder, name);
  g_autoptr(GError) error = NULL;
  EspyDeviceConfig *config = espy_device_config_new_for_file (file, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

/* Loads a file that must fail with @code; returns the message. */
static char *
load_fails (GFile *file,
            int    code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyDeviceConfig) config = espy_device_config_new_for_file (file, NULL, &error);

  g_assert_null (config);
  g_assert_error (error, ESPY_CONFIG_ERROR, code);
  g_test_message ("error: %s", error->message);
  return g_strdup (error->message);
}

static char *
fixture_fails (const char *folder,
               const char *name,
               int         code)
{
  g_autoptr(GFile) file = fixture (folder, name);

  return load_fails (file, code);
}

static void
assert_has_prefix (const char *text,
                   const char *prefix)
{
  if (!g_str_has_prefix (text, prefix))
    g_error ("\"%s\" does not start with \"%s\"", text, prefix);
}

static void
assert_contains (const char *text,
                 const char *part)
{
  if (strstr (text, part) == NULL)
    g_error ("\"%s\" does not contain \"%s\"", text, part);
}

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("espy-config-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
write_file (const char *dir,
            const char *name,
            const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  GDir *dir;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (path);
}

static void
copy_tree (const char *from,
           const char *to)
{
  GDir *dir = g_dir_open (from, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  g_mkdir_with_parents (to, 0700);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dst = g_build_filename (to, name, NULL);

      if (g_file_test (src, G_FILE_TEST_IS_DIR))
        copy_tree (src, dst);
      else
        {
          g_autofree char *data = NULL;
          gsize len = 0;
          g_autoptr(GError) error = NULL;

          g_file_get_contents (src, &data, &len, &error);
          g_assert_no_error (error);
          g_file_set_contents (dst, data, (gssize) len, &error);
          g_assert_no_error (error);
        }
    }
  g_dir_close (dir);
}

/* ---- One device file -------------------------------------------------- */

static void
test_secrets (void)
{
  g_autoptr(EspyDeviceConfig) config = load_ok ("basic", "kitchen.yaml");
  const EspyConfigOta *ota = espy_device_config_get_ota (config, 0);
  const EspyConfigLocation *loc = ota->password_location;

  g_assert_cmpstr (ota->password, ==, "ota-secret-2");
  g_assert_nonnull (loc);
  g_assert_true (g_path_is_absolute (loc->path));
  g_assert_true (g_str_has_suffix (loc->path, "/kitchen.yaml"));
  /* "    password: !secret ota_password" */
  g_assert_cmpuint (loc->line, ==, 23);
  g_assert_cmpuint (loc->column, ==, 15);
  g_assert_cmpstr (loc->secret_name, ==, "ota_password");
  g_assert_true (g_str_has_suffix (loc->secret_path, "/basic/secrets.yaml"));
  g_assert_cmpuint (loc->secret_line, ==, 4);
  g_assert_cmpuint (loc->secret_column, ==, 15);
  g_assert_null (loc->substitution);
  g_assert_false (loc->derived);

  g_assert_cmpstr (espy_device_config_get_api_encryption_key (config), ==,
                   "c2VjcmV0LWtleS0zMi1ieXRlcy1sb25nLXRlc3QxMjM=");
  g_assert_null (espy_device_config_get_api_password (config));
  g_assert_cmpstr (espy_device_config_get_web_server_password (config), ==, "web-secret-4");
}

static void
test_substitutions (void)
{
  g_autoptr(EspyDeviceConfig) config = load_ok ("basic", "kitchen.yaml");
  g_autoptr(EspyDeviceConfig) subs = load_ok ("bad", "subs.yaml");
  const EspyConfigOta *ota;
  const char * const *warnings;

  g_assert_cmpstr (espy_device_config_get_name (config), ==, "kitchen");
  g_assert_cmpstr (espy_device_config_get_friendly_name (config), ==, "Kitchen Light");
  g_assert_cmpstr (espy_device_config_get_comment (config), ==, "Ceiling light by the kitchen door");
  /* port: ${ota_port} with ota_port: "3233" */
  g_assert_cmpuint (espy_device_config_get_ota_port (config), ==, 3233);
  g_assert_cmpuint (g_strv_length ((char **) espy_device_config_get_warnings (config)), ==, 0);

  /* A whole-value substitution keeps where the value (a !secret) was written. */
  ota = espy_device_config_get_ota (subs, 0);
  g_assert_cmpstr (ota->password, ==, "value");
  g_assert_cmpstr (ota->password_location->substitution, ==, "pw");
  g_assert_cmpstr (ota->password_location->secret_name, ==, "known");
  g_assert_cmpuint (ota->password_location->line, ==, 2);
  g_assert_cmpuint (ota->password_location->column, ==, 7);
  g_assert_false (ota->password_location->derived);

  /* Inside text: replaced, marked derived; unknown names stay and warn. */
  ota = espy_device_config_get_ota (subs, 1);
  g_assert_cmpstr (ota->password, ==, "x-value-${missing}");
  g_assert_true (ota->password_location->derived);
  g_assert_null (ota->password_location->secret_name);
  g_assert_cmpuint (ota->password_location->line, ==, 9);
  warnings = espy_device_config_get_warnings (subs);
  g_assert_cmpuint (g_strv_length ((char **) warnings), ==, 1);
  assert_has_prefix (warnings[0], "subs.yaml:9:15:");
  assert_contains (warnings[0], "\"missing\"");
}

static void
test_includes (void)
{
  g_autoptr(EspyDeviceConfig) config = load_ok ("basic", "kitchen.yaml");
  const char * const *included = espy_device_config_get_included_files (config);
  gboolean wifi = FALSE;
  gboolean secrets = FALSE;

  g_assert_cmpstr (espy_device_config_get_use_address (config), ==, "kitchen.lan");
  g_assert_cmpstr (espy_device_config_get_address (config), ==, "kitchen.lan");
  for (guint i = 0; included[i] != NULL; i++)
    {
      g_assert_true (g_path_is_absolute (included[i]));
      wifi |= g_str_has_suffix (included[i], "/common/wifi.yaml");
      secrets |= g_str_has_suffix (included[i], "/secrets.yaml");
    }
  g_assert_true (wifi);
  g_assert_true (secrets);
}

static void
test_packages (void)
{
  g_autoptr(EspyDeviceConfig) config = load_ok ("basic", "packaged.yaml");
  const char * const *remote = espy_device_config_get_remote_packages (config);
  const EspyConfigOta *ota;

  /* The device's own values win over the package's. */
  g_assert_cmpstr (espy_device_config_get_name (config), ==, "garage-opener");
  g_assert_cmpstr (espy_device_config_get_friendly_name (config), ==, "Garage opener");
  /* What only the package sets comes through. */
  g_assert_cmpstr (espy_device_config_get_comment (config), ==, "From the base package");
  g_assert_cmpstr (espy_device_config_get_platform (config), ==, "RP2040");
  g_assert_cmpstr (espy_device_config_get_board (config), ==, "rpipicow");
  g_assert_true (espy_device_config_has_api (config));
  g_assert_cmpuint (espy_device_config_get_api_port (config), ==, 6055);
  g_assert_true (espy_device_config_has_web_server (config));
  g_assert_cmpuint (espy_device_config_get_web_server_port (config), ==, 80);

  /* Lists concatenate: the package's entry, then the device's. */
  g_assert_cmpuint (espy_device_config_get_n_ota (config), ==, 2);
  ota = espy_device_config_get_ota (config, 0);
  g_assert_cmpstr (ota->platform, ==, "esphome");
  g_assert_cmpstr (ota->password, ==, "ota-secret-2");
  g_assert_true (g_str_has_suffix (ota->password_location->path, "/basic/common/base.yaml"));
  g_assert_cmpuint (ota->password_location->line, ==, 9);
  g_assert_cmpuint (ota->password_location->column, ==, 15);
  g_assert_cmpstr (espy_device_config_get_ota (config, 1)->platform, ==, "web_server");
  g_assert_cmpuint (espy_device_config_get_ota_port (config), ==, 2040);

  g_assert_cmpuint (g_strv_length ((char **) remote), ==, 2);
  g_assert_true (g_strv_contains (remote, "github://esphome/firmware/esphome-web/esp32.yaml@main (remote, not read)"));
  g_assert_true (g_strv_contains (remote, "https://github.com/example/configs@v1.2 (remote, not read)"));
  /* ${sensor_name} came from the include's vars, ${room} from the device:
   * nothing was left unknown. */
  g_assert_cmpuint (g_strv_length ((char **) espy_device_config_get_warnings (config)), ==, 0);
}

static void
test_packages_extend (void)
{
  g_autoptr(EspyDeviceConfig) config = load_ok ("bad", "extend.yaml");
  const EspyConfigOta *ota;

  g_assert_cmpuint (espy_device_config_get_n_ota (config), ==, 1);
  ota = espy_device_config_get_ota (config, 0);
  g_assert_cmpstr (ota->platform, ==, "esphome");
  g_assert_cmpstr (ota->id, ==, "main_ota");
  g_assert_cmpuint (ota->port, ==, 3300);
  g_assert_cmpstr (ota->password, ==, "base-pw");
}

static void
test_ota_list (void)
{
  g_autoptr(EspyDeviceConfig) config = load_ok ("basic", "kitchen.yaml");
  const EspyConfigOta *ota;

  g_assert_cmpstr (espy_device_config_get_platform (config), ==, "ESP32");
  g_assert_cmpstr (espy_device_config_get_board (config), ==, "esp32dev");
  g_assert_cmpuint (espy_device_config_get_n_ota (config), ==, 2);
  ota = espy_device_config_get_ota (config, 0);
  g_assert_cmpstr (ota->platform, ==, "esphome");
  g_assert_cmpstr (ota->id, ==, "ota_main");
  g_assert_cmpuint (ota->port, ==, 3233);
  g_assert_cmpuint (ota->version, ==, 2);
  ota = espy_device_config_get_ota (config, 1);
  g_assert_cmpstr (ota->platform, ==, "web_server");
  g_assert_null (ota->password);
  g_assert_null (ota->password_location);
  g_assert_true (espy_device_config_find_ota (config, "web_server") == ota);
  g_assert_null (espy_device_config_find_ota (config, "http_request"));

  g_assert_true (espy_device_config_has_api (config));
  g_assert_cmpuint (espy_device_config_get_api_port (config), ==, 6053);
  g_assert_true (espy_device_config_has_web_server (config));
  g_assert_cmpuint (espy_device_config_get_web_server_port (config), ==, 8080);
  g_assert_false (espy_device_config_get_web_server_ota (config));
  g_assert_cmpstr (espy_device_config_get_web_server_username (config), ==, "admin");
  g_assert_true (espy_device_config_has_safe_mode (config));
}

static void
test_ota_legacy (void)
{
  g_autoptr(EspyDeviceConfig) config = load_ok ("basic", "legacy.yaml");
  const EspyConfigOta *ota;

  g_assert_cmpstr (espy_device_config_get_platform (config), ==, "ESP8266");
  g_assert_cmpuint (espy_device_config_get_n_ota (config), ==, 1);
  ota = espy_device_config_get_ota (config, 0);
  g_assert_cmpstr (ota->platform, ==, "esphome");
  g_assert_cmpuint (ota->port, ==, 0);
  g_assert_cmpstr (ota->password, ==, "plain-ota-pw");
  g_assert_null (ota->password_location->secret_name);
  g_assert_true (g_str_has_suffix (ota->password_location->path, "/legacy.yaml"));
  g_assert_cmpuint (ota->password_location->line, ==, 18);
  g_assert_cmpuint (ota->password_location->column, ==, 13);
  /* ESPHome's default native OTA port for the platform. */
  g_assert_cmpuint (espy_device_config_get_ota_port (config), ==, 8266);

  g_assert_cmpstr (espy_device_config_get_api_password (config), ==, "legacy-api-pw");
  g_assert_null (espy_device_config_get_api_encryption_key (config));
  g_assert_false (espy_device_config_has_web_server (config));
  g_assert_false (espy_device_config_get_web_server_ota (config));
  g_assert_false (espy_device_config_has_safe_mode (config));
  g_assert_null (espy_device_config_get_use_address (config));
  g_assert_cmpstr (espy_device_config_get_static_ip (config), ==, "127.0.1.50");
  g_assert_cmpstr (espy_device_config_get_address (config), ==, "127.0.1.50");

  g_assert_true (espy_device_config_get_name_add_mac_suffix (config));
  g_assert_true (espy_device_config_matches_name (config, "legacy-plug"));
  g_assert_true (espy_device_config_matches_name (config, "legacy-plug-a1b2c3"));
  g_assert_false (espy_device_config_matches_name (config, "legacy-plug-a1b2cz"));
  g_assert_false (espy_device_config_matches_name (config, "legacy-plug-a1b2c3d"));
}

static void
test_merge_keys (void)
{
  g_autoptr(EspyDeviceConfig) config = load_ok ("bad", "merge-keys.yaml");
  const EspyConfigOta *ota = espy_device_config_get_ota (config, 0);

  g_assert_cmpuint (espy_device_config_get_n_ota (config), ==, 1);
  g_assert_cmpstr (ota->platform, ==, "esphome");
  g_assert_cmpuint (ota->port, ==, 3301);
  g_assert_cmpstr (ota->password, ==, "from-anchor");
}

static void
test_storage (void)
{
  g_autoptr(EspyDeviceConfig) config = load_ok ("basic", "kitchen.yaml");
  g_autoptr(EspyDeviceConfig) legacy = load_ok ("basic", "legacy.yaml");
  const char * const *integrations;

  g_assert_true (espy_device_config_has_storage (config));
  g_assert_cmpstr (espy_device_config_get_deployed_version (config), ==, "2025.10.3");
  g_assert_cmpstr (espy_device_config_get_firmware_bin_path (config), ==,
                   "/config/.esphome/build/kitchen/.pioenvs/kitchen/firmware.bin");
  g_assert_cmpstr (espy_device_config_get_storage_address (config), ==, "kitchen.lan");
  g_assert_cmpuint (espy_device_config_get_storage_web_port (config), ==, 8080);
  g_assert_cmpstr (espy_device_config_get_storage_name (config), ==, "kitchen");
  integrations = espy_device_config_get_loaded_integrations (config);
  g_assert_cmpuint (g_strv_length ((char **) integrations), ==, 6);
  g_assert_true (g_strv_contains (integrations, "web_server"));

  g_assert_false (espy_device_config_has_storage (legacy));
  g_assert_null (espy_device_config_get_deployed_version (legacy));
  g_assert_null (espy_device_config_get_loaded_integrations (legacy));
}

static void
test_redaction (void)
{
  const char *files[] = { "kitchen.yaml", "legacy.yaml", "packaged.yaml" };
  const char *secrets[] = { "ota-secret-2", "web-secret-4", "c2VjcmV0LWtleS0zMi1ieXRlcy1sb25nLXRlc3QxMjM=",
                            "plain-ota-pw", "legacy-api-pw", "wifi-secret-1" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(EspyDeviceConfig) config = load_ok ("basic", files[i]);
      g_autofree char *text = espy_device_config_to_string (config);

      g_test_message ("%s", text);
      assert_contains (text, "password=(set)");
      for (guint k = 0; k < G_N_ELEMENTS (secrets); k++)
        g_assert_null (strstr (text, secrets[k]));
    }
}

/* ---- Refusals --------------------------------------------------------- */

static void
test_broken_syntax (void)
{
  g_autofree char *message = fixture_fails ("mixed", "broken.yaml", ESPY_CONFIG_ERROR_PARSE);

  /* " ota:" at line 5 breaks the mapping that esp32: opened at column 1. */
  assert_has_prefix (message, "broken.yaml:5:2:");
}

static void
test_alias_bomb (void)
{
  gint64 start = g_get_monotonic_time ();
  g_autofree char *message = fixture_fails ("bad", "lol.yaml", ESPY_CONFIG_ERROR_ALIAS_BOMB);
  gint64 elapsed = g_get_monotonic_time () - start;

  assert_has_prefix (message, "lol.yaml:");
  g_test_message ("refused in %" G_GINT64_FORMAT " µs", elapsed);
  g_assert_cmpint (elapsed, <, G_USEC_PER_SEC);
}

static void
test_alias_depth (void)
{
  g_autoptr(GString) text = g_string_new ("a0: &a0 x\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyYamlNode) root = NULL;

  /* A chain of single aliases: small, but nested too deep. */
  for (guint i = 1; i <= ESPY_YAML_MAX_ALIAS_DEPTH + 1; i++)
    g_string_append_printf (text, "a%u: &a%u [*a%u]\n", i, i, i - 1);
  root = espy_yaml_load_data (text->str, text->len, "chain.yaml", &error);
  g_assert_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_ALIAS_BOMB);
  g_assert_null (root);
  assert_has_prefix (error->message, "chain.yaml:");
}

static void
test_include_loop (void)
{
  g_autofree char *message = fixture_fails ("bad", "loop.yaml", ESPY_CONFIG_ERROR_INCLUDE_LOOP);
  g_autofree char *self_message = fixture_fails ("bad", "self-include.yaml", ESPY_CONFIG_ERROR_INCLUDE_LOOP);

  assert_has_prefix (message, "inc/loop-b.yaml:1:8:");
  assert_contains (message, "inc/loop-a.yaml -> inc/loop-b.yaml -> inc/loop-a.yaml");
  assert_has_prefix (self_message, "self-include.yaml:3:8:");
}

static void
test_include_outside (void)
{
  g_autofree char *message = fixture_fails ("bad", "outside.yaml", ESPY_CONFIG_ERROR_INCLUDE_OUTSIDE);
  g_autofree char *missing = fixture_fails ("bad", "include-missing.yaml", ESPY_CONFIG_ERROR_INCLUDE_MISSING);
  /* Outside by its name alone: refused before looking whether it exists. */
  g_autofree char *nowhere = fixture_fails ("bad", "outside-missing.yaml", ESPY_CONFIG_ERROR_INCLUDE_OUTSIDE);

  assert_has_prefix (message, "outside.yaml:3:7:");
  assert_contains (message, "../basic/secrets.yaml");
  assert_has_prefix (missing, "include-missing.yaml:3:7:");
  assert_has_prefix (nowhere, "outside-missing.yaml:3:7:");
}

static void
test_include_symlink (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *outside_dir = make_temp_dir ();
  g_autofree char *target = g_build_filename (outside_dir, "wifi.yaml", NULL);
  g_autofree char *link = g_build_filename (dir, "wifi.yaml", NULL);
  g_autofree char *dev = g_build_filename (dir, "dev.yaml", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (dev);
  g_autofree char *message = NULL;

  write_file (outside_dir, "wifi.yaml", "ssid: x\n");
  g_assert_cmpint (symlink (target, link), ==, 0);
  write_file (dir, "dev.yaml", "esphome:\n  name: dev\nwifi: !include wifi.yaml\n");

  /* The name is inside the folder; where it leads is not. */
  message = load_fails (file, ESPY_CONFIG_ERROR_INCLUDE_OUTSIDE);
  assert_has_prefix (message, "dev.yaml:3:7:");

  remove_tree (dir);
  remove_tree (outside_dir);
}

static void
test_secret_missing (void)
{
  g_autofree char *message = fixture_fails ("bad", "secret-missing.yaml", ESPY_CONFIG_ERROR_SECRET_MISSING);
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *dev = g_build_filename (dir, "dev.yaml", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (dev);
  g_autofree char *no_file = NULL;

  assert_has_prefix (message, "secret-missing.yaml:5:15:");
  assert_contains (message, "\"no_such_secret\"");
  assert_contains (message, "secrets.yaml");

  write_file (dir, "dev.yaml", "esphome:\n  name: dev\napi:\n  password: !secret api_pw\n");
  no_file = load_fails (file, ESPY_CONFIG_ERROR_SECRET_MISSING);
  assert_has_prefix (no_file, "dev.yaml:4:13:");
  assert_contains (no_file, "no secrets.yaml");
  remove_tree (dir);
}

static void
test_not_utf8 (void)
{
  g_autofree char *message = fixture_fails ("bad", "latin1.yaml", ESPY_CONFIG_ERROR_NOT_UTF8);

  assert_has_prefix (message, "latin1.yaml:2:12:");
  assert_contains (message, "0xE9");
}

static void
test_too_large (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *big_path = g_build_filename (dir, "big.yaml", NULL);
  g_autofree char *deep_path = g_build_filename (dir, "deep.yaml", NULL);
  g_autoptr(GFile) big = g_file_new_for_path (big_path);
  g_autoptr(GFile) deep = g_file_new_for_path (deep_path);
  g_autoptr(GString) text = g_string_new ("esphome:\n  name: big\n");
  g_autofree char *message = NULL;
  g_autofree char *deep_message = NULL;

  while (text->len <= ESPY_YAML_MAX_FILE_SIZE)
    g_string_append (text, "# padding padding padding padding padding padding padding\n");
  write_file (dir, "big.yaml", text->str);
  message = load_fails (big, ESPY_CONFIG_ERROR_TOO_LARGE);
  assert_has_prefix (message, "big.yaml:");

  g_string_assign (text, "esphome:\n  name: deep\nx: ");
  for (guint i = 0; i < ESPY_YAML_MAX_NESTING + 10; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < ESPY_YAML_MAX_NESTING + 10; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '\n');
  write_file (dir, "deep.yaml", text->str);
  deep_message = load_fails (deep, ESPY_CONFIG_ERROR_TOO_LARGE);
  assert_has_prefix (deep_message, "deep.yaml:3:");

  remove_tree (dir);
}

static void
test_invalid (void)
{
  g_autofree char *no_name = fixture_fails ("bad", "no-name.yaml", ESPY_CONFIG_ERROR_NO_NAME);
  g_autofree char *dup = fixture_fails ("bad", "dup-key.yaml", ESPY_CONFIG_ERROR_PARSE);
  g_autofree char *port = fixture_fails ("bad", "bad-port.yaml", ESPY_CONFIG_ERROR_INVALID);

  assert_has_prefix (no_name, "no-name.yaml:");
  assert_has_prefix (dup, "dup-key.yaml:3:3:");
  assert_contains (dup, "\"name\"");
  assert_has_prefix (port, "bad-port.yaml:5:11:");
}

/* ---- The folder ------------------------------------------------------- */

static void
load_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (espy_config_folder_load_finish (ESPY_CONFIG_FOLDER (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static EspyConfigFolder *
load_folder (GFile *dir)
{
  EspyConfigFolder *folder = espy_config_folder_new (dir);
  gboolean done = FALSE;

  espy_config_folder_load_async (folder, NULL, load_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (espy_config_folder_is_loaded (folder));
  return folder;
}

static EspyDeviceConfig *
item (EspyConfigFolder *folder,
      guint             position)
{
  /* The folder keeps its own reference. */
  g_autoptr(EspyDeviceConfig) config = g_list_model_get_item (G_LIST_MODEL (folder), position);

  return config;
}

static void
test_folder_basic (void)
{
  g_autoptr(GFile) dir = fixture ("basic", NULL);
  g_autoptr(EspyConfigFolder) folder = load_folder (dir);

  /* Not secrets.yaml, not .hidden.yaml, not notes.txt, not common/. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (folder)), ==, 3);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (folder)) == ESPY_TYPE_DEVICE_CONFIG);
  g_assert_cmpuint (espy_config_folder_get_errors (folder)->len, ==, 0);
  g_assert_cmpstr (espy_device_config_get_file_name (item (folder, 0)), ==, "kitchen.yaml");
  g_assert_cmpstr (espy_device_config_get_file_name (item (folder, 1)), ==, "legacy.yaml");
  g_assert_cmpstr (espy_device_config_get_file_name (item (folder, 2)), ==, "packaged.yaml");

  g_assert_true (espy_config_folder_lookup_name (folder, "kitchen") == item (folder, 0));
  g_assert_true (espy_config_folder_lookup_name (folder, "legacy-plug-0a1b2c") == item (folder, 1));
  g_assert_true (espy_config_folder_lookup_name (folder, "garage-opener") == item (folder, 2));
  g_assert_null (espy_config_folder_lookup_name (folder, "kitchen-0a1b2c"));
  g_assert_null (espy_config_folder_lookup_name (folder, "base-name"));
}

static void
test_folder_mixed (void)
{
  g_autoptr(GFile) dir = fixture ("mixed", NULL);
  g_autoptr(GFile) broken = fixture ("mixed", "broken.yaml");
  g_autoptr(GFile) alpha = fixture ("mixed", "alpha.yaml");
  g_autoptr(EspyConfigFolder) folder = load_folder (dir);
  GPtrArray *errors = espy_config_folder_get_errors (folder);
  const GError *error;

  /* One broken file hides nothing else. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (folder)), ==, 2);
  g_assert_cmpstr (espy_device_config_get_name (item (folder, 0)), ==, "alpha");
  g_assert_cmpstr (espy_device_config_get_name (item (folder, 1)), ==, "gamma");
  g_assert_cmpstr (espy_device_config_get_platform (item (folder, 1)), ==, "BK72XX");
  g_assert_cmpuint (espy_device_config_get_ota_port (item (folder, 1)), ==, 0);
  g_assert_cmpuint (errors->len, ==, 1);
  error = g_ptr_array_index (errors, 0);
  g_assert_error ((GError *) error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_PARSE);
  assert_has_prefix (error->message, "broken.yaml:5:2:");
  g_assert_true (espy_config_folder_get_error_for_file (folder, broken) == error);
  g_assert_null (espy_config_folder_get_error_for_file (folder, alpha));
  g_assert_true (espy_config_folder_lookup_file (folder, alpha) == item (folder, 0));
  g_assert_null (espy_config_folder_lookup_file (folder, broken));
}

typedef struct {
  guint items_changed;
  guint changed;
} Counts;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  ((Counts *) user_data)->items_changed++;
}

static void
changed_cb (EspyConfigFolder *folder,
            gpointer          user_data)
{
  ((Counts *) user_data)->changed++;
}

static gboolean
timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until the folder has @n_items items and
 * @n_errors errors, at most 2 s. */
static void
wait_for (EspyConfigFolder *folder,
          guint             n_items,
          guint             n_errors)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (2000, timeout_cb, &timed_out);

  while (!timed_out && (g_list_model_get_n_items (G_LIST_MODEL (folder)) != n_items
                        || espy_config_folder_get_errors (folder)->len != n_errors))
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (folder)), ==, n_items);
  g_assert_cmpuint (espy_config_folder_get_errors (folder)->len, ==, n_errors);
}

/* Waits until @pred holds, at most 2 s. */
static void
wait_until (gboolean (*pred) (EspyConfigFolder *),
            EspyConfigFolder *folder)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (2000, timeout_cb, &timed_out);

  while (!timed_out && !pred (folder))
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_true (pred (folder));
}

static gboolean
alpha_has_new_password (EspyConfigFolder *folder)
{
  EspyDeviceConfig *alpha = espy_config_folder_lookup_name (folder, "alpha");

  return alpha != NULL && g_strcmp0 (espy_device_config_get_ota (alpha, 0)->password, "changed") == 0;
}

static void
test_folder_monitor (void)
{
  g_autofree char *src = g_test_build_filename (G_TEST_DIST, "fixtures", "config", "mixed", NULL);
  g_autofree char *tmp = make_temp_dir ();
  g_autofree char *root = g_build_filename (tmp, "config", NULL);
  g_autofree char *gamma = g_build_filename (root, "gamma.yml", NULL);
  g_autoptr(GFile) dir = NULL;
  g_autoptr(EspyConfigFolder) folder = NULL;
  EspyDeviceConfig *alpha;
  EspyDeviceConfig *gamma_config;
  Counts counts = { 0 };

  copy_tree (src, root);
  dir = g_file_new_for_path (root);
  folder = load_folder (dir);
  g_signal_connect (folder, "items-changed", G_CALLBACK (items_changed_cb), &counts);
  g_signal_connect (folder, "changed", G_CALLBACK (changed_cb), &counts);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (folder)), ==, 2);
  alpha = item (folder, 0);
  gamma_config = item (folder, 1);

  /* A new device file appears. */
  write_file (root, "delta.yaml", "esphome:\n  name: delta\nesp32:\n  board: esp32dev\n");
  wait_for (folder, 3, 1);
  g_assert_cmpstr (espy_device_config_get_name (item (folder, 1)), ==, "delta");
  g_assert_cmpuint (counts.items_changed, >=, 1);
  g_assert_cmpuint (counts.changed, >=, 1);
  /* Unchanged files keep their objects. */
  g_assert_true (item (folder, 0) == alpha);
  g_assert_true (item (folder, 2) == gamma_config);

  /* The broken file is fixed. */
  write_file (root, "broken.yaml", "esphome:\n  name: broken\n");
  wait_for (folder, 4, 0);

  /* A secret changes: the config that uses it is read again. */
  write_file (root, "secrets.yaml", "ota_password: \"changed\"\n");
  wait_until (alpha_has_new_password, folder);
  g_assert_true (item (folder, 0) != alpha);

  /* A file goes away. */
  g_assert_cmpint (g_unlink (gamma), ==, 0);
  wait_for (folder, 3, 0);
  g_assert_null (espy_config_folder_lookup_name (folder, "gamma"));

  g_clear_object (&folder);
  remove_tree (tmp);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_folder_missing (void)
{
  g_autoptr(GFile) dir = g_file_new_for_path ("/nonexistent/espy-config");
  g_autoptr(EspyConfigFolder) folder = espy_config_folder_new (dir);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  espy_config_folder_load_async (folder, NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (espy_config_folder_load_finish (folder, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (espy_config_folder_is_loaded (folder));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (folder)), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/secrets", test_secrets);
  g_test_add_func ("/config/substitutions", test_substitutions);
  g_test_add_func ("/config/includes", test_includes);
  g_test_add_func ("/config/packages", test_packages);
  g_test_add_func ("/config/packages-extend", test_packages_extend);
  g_test_add_func ("/config/ota-list", test_ota_list);
  g_test_add_func ("/config/ota-legacy", test_ota_legacy);
  g_test_add_func ("/config/merge-keys", test_merge_keys);
  g_test_add_func ("/config/storage", test_storage);
  g_test_add_func ("/config/redaction", test_redaction);
  g_test_add_func ("/config/broken-syntax", test_broken_syntax);
  g_test_add_func ("/config/alias-bomb", test_alias_bomb);
  g_test_add_func ("/config/alias-depth", test_alias_depth);
  g_test_add_func ("/config/include-loop", test_include_loop);
  g_test_add_func ("/config/include-outside", test_include_outside);
  g_test_add_func ("/config/include-symlink", test_include_symlink);
  g_test_add_func ("/config/secret-missing", test_secret_missing);
  g_test_add_func ("/config/not-utf8", test_not_utf8);
  g_test_add_func ("/config/too-large", test_too_large);
  g_test_add_func ("/config/invalid", test_invalid);
  g_test_add_func ("/config/folder/basic", test_folder_basic);
  g_test_add_func ("/config/folder/mixed", test_folder_mixed);
  g_test_add_func ("/config/folder/monitor", test_folder_monitor);
  g_test_add_func ("/config/folder/missing", test_folder_missing);

  return g_test_run ();
}
