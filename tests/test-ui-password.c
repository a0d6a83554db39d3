/* test-ui-password.c: the OTA password wizard driven like a user would,
 * under Xvfb: a Change from the first page to the verified result against
 * a simulated 2026.1 device and the esphome stand-in; the wrong current
 * password stays on the check page with what to do next.
 * Screenshots go to $ESPY_SCREENSHOTS_DIR when it is set.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "espy-ota-client.h"
#include "espy-password-change.h"
#include "espy-password-wizard.h"
#include "espy-sim-device.h"
#include "ui-test-util.h"

#define NEW_PW "wizard-New-pw-42"

static gboolean
wait_page (EspyPasswordWizard *wizard,
           const char         *name,
           guint               timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_strcmp0 (espy_password_wizard_get_page (wizard), name) != 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
  return g_strcmp0 (espy_password_wizard_get_page (wizard), name) == 0;
}

/* The simulator does not read the password marker of its new firmware
 * yet: apply it as the device would after its reboot. */
static void
upload_finished_cb (EspySimDevice *sim,
                    gboolean       ok,
                    guint8         code,
                    gpointer       user_data)
{
  GBytes *image = espy_sim_device_get_last_image (sim);
  gsize len = 0;
  const char *data = image != NULL ? g_bytes_get_data (image, &len) : NULL;
  const char *p = data != NULL ? memmem (data, len, "ESPY-SIM-OTA:password_hex=", 26) : NULL;
  g_autoptr(GString) pw = g_string_new (NULL);

  if (!ok || p == NULL)
    return;
  for (p += 26; g_ascii_isxdigit (p[0]) && g_ascii_isxdigit (p[1]); p += 2)
    g_string_append_c (pw, (char) (g_ascii_xdigit_value (p[0]) * 16 + g_ascii_xdigit_value (p[1])));
  espy_sim_device_set_password (sim, pw->str);
}

typedef struct {
  EspySimDevice      *sim;
  char               *dir;
  char               *yaml;
  char               *original;
  EspyDeviceConfig   *config;
  GtkWidget          *parent;
  EspyPasswordWizard *wizard;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *secrets = NULL;

  g_setenv ("ESPHOME_STANDIN_SIZE", "65536", TRUE);
  f->sim = espy_sim_device_new ("kitchen");
  espy_sim_device_set_platform (f->sim, "ESP32");
  espy_sim_device_set_generation (f->sim, ESPY_SIM_GENERATION_2026_1);
  espy_sim_device_set_password (f->sim, "old-kitchen-pw");
  espy_sim_device_set_boot_ms (f->sim, 200);
  g_signal_connect (f->sim, "upload-finished", G_CALLBACK (upload_finished_cb), NULL);
  g_assert_true (espy_sim_device_start (f->sim, &error));
  g_assert_no_error (error);

  f->dir = g_dir_make_tmp ("espy-ui-password-XXXXXX", &error);
  g_assert_no_error (error);
  f->yaml = g_build_filename (f->dir, "kitchen.yaml", NULL);
  f->original = g_strdup_printf ("# Kitchen lights\nesphome:\n  name: kitchen\n  friendly_name: Kitchen Lights\n"
                                 "esp32:\n  board: esp32dev\nwifi:\n  use_address: 127.0.0.1\n"
                                 "ota:\n  - platform: esphome\n    password: !secret kitchen_ota  # per device\n"
                                 "    port: %u\n  - platform: web_server\n",
                                 espy_sim_device_get_ota_port (f->sim));
  g_assert_true (g_file_set_contents (f->yaml, f->original, -1, NULL));
  secrets = g_build_filename (f->dir, "secrets.yaml", NULL);
  g_assert_true (g_file_set_contents (secrets, "wifi_password: \"x\"\nkitchen_ota: old-kitchen-pw\n", -1, NULL));
  file = g_file_new_for_path (f->yaml);
  f->config = espy_device_config_new_for_file (file, NULL, &error);
  g_assert_no_error (error);

  f->parent = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->parent), 800, 700);
  gtk_window_present (GTK_WINDOW (f->parent));
  f->wizard = espy_password_wizard_new_for_config (GTK_WINDOW (f->parent), f->config, NULL, 0);
  gtk_window_present (GTK_WINDOW (f->wizard));
  ui_test_spin (200);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->wizard));
  gtk_window_destroy (GTK_WINDOW (f->parent));
  ui_test_spin (50);
  g_signal_handlers_disconnect_by_func (f->sim, upload_finished_cb, NULL);
  espy_sim_device_stop (f->sim);
  g_object_unref (f->sim);
  g_object_unref (f->config);
  rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->yaml);
  g_free (f->original);
}

static GtkWidget *
entry (Fixture    *f,
       const char *title)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();

  ui_test_collect (GTK_WIDGET (f->wizard), ADW_TYPE_PASSWORD_ENTRY_ROW, entries);
  for (guint i = 0; i < entries->len; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (entries, i)), title) == 0)
      return g_ptr_array_index (entries, i);
  g_assert_not_reached ();
}

static void
next (Fixture *f)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->wizard), "wizard.next", NULL));
}

typedef struct {
  gboolean done;
  gboolean ok;
} Check;

static void
check_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Check *c = user_data;

  c->ok = espy_ota_client_check_finish (ESPY_OTA_CLIENT (source), result, NULL);
  c->done = TRUE;
}

static gboolean
accepts (EspySimDevice *sim,
         const char    *password)
{
  g_autoptr(EspyOtaClient) client = espy_ota_client_new ("127.0.0.1", espy_sim_device_get_ota_port (sim));
  Check c = { 0 };

  espy_ota_client_set_password (client, password);
  espy_ota_client_set_retries (client, 0, 0);
  espy_ota_client_check_async (client, NULL, check_cb, &c);
  while (!c.done)
    g_main_context_iteration (NULL, TRUE);
  return c.ok;
}

static void
test_change (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) views = g_ptr_array_new ();
  g_autofree char *yaml_after = NULL;
  g_autofree char *secrets_after = NULL;
  g_autofree char *secrets_path = g_build_filename (f->dir, "secrets.yaml", NULL);
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *diff = NULL;

  g_assert_cmpstr (espy_password_wizard_get_page (f->wizard), ==, "flow");
  ui_test_screenshot_content (GTK_WIDGET (f->wizard), "password-1-flow");
  next (f);
  g_assert_true (wait_page (f->wizard, "check", 2000));
  /* Next stays off until the device answered. */
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (f->wizard), "wizard.next", NULL) &&
                  g_strcmp0 (espy_password_wizard_get_page (f->wizard), "check") != 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->wizard), "wizard.check", NULL));
  while (ui_test_find_label (GTK_WIDGET (f->wizard), "The device accepts this password") == NULL)
    g_main_context_iteration (NULL, TRUE);
  ui_test_screenshot_content (GTK_WIDGET (f->wizard), "password-2-check");
  next (f);
  g_assert_true (wait_page (f->wizard, "password", 2000));

  gtk_editable_set_text (GTK_EDITABLE (entry (f, "New password")), NEW_PW);
  gtk_editable_set_text (GTK_EDITABLE (entry (f, "Repeat the new password")), "typo");
  ui_test_spin (50);
  g_assert_nonnull (ui_test_find_label (GTK_WIDGET (f->wizard), "The two passwords differ"));
  gtk_editable_set_text (GTK_EDITABLE (entry (f, "Repeat the new password")), NEW_PW);
  ui_test_spin (50);
  ui_test_screenshot_content (GTK_WIDGET (f->wizard), "password-3-new");
  next (f);
  g_assert_true (wait_page (f->wizard, "review", 10000));

  /* The exact diff, passwords hidden. */
  ui_test_collect (GTK_WIDGET (f->wizard), GTK_TYPE_TEXT_VIEW, views);
  g_assert_cmpuint (views->len, ==, 1);
  buffer = gtk_text_view_get_buffer (g_ptr_array_index (views, 0));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  diff = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_nonnull (strstr (diff, "--- a/secrets.yaml\n+++ secrets.yaml\n"));
  g_assert_nonnull (strstr (diff, "-kitchen_ota: ********\n+kitchen_ota: ********\n"));
  g_assert_null (strstr (diff, NEW_PW));
  g_assert_null (strstr (diff, "old-kitchen-pw"));
  ui_test_screenshot_content (GTK_WIDGET (f->wizard), "password-4-review");

  next (f);
  g_assert_true (wait_page (f->wizard, "run", 2000));
  ui_test_spin (400);
  ui_test_screenshot_content (GTK_WIDGET (f->wizard), "password-5-run");
  g_assert_true (wait_page (f->wizard, "result", 60000));
  g_assert_nonnull (ui_test_find_label (GTK_WIDGET (f->wizard), "Password Changed"));
  g_assert_nonnull (ui_test_find_label (GTK_WIDGET (f->wizard), "the new password is accepted and the old one refused"));
  ui_test_screenshot_content (GTK_WIDGET (f->wizard), "password-6-result");

  /* What the wizard says is what the device does. */
  g_assert_true (accepts (f->sim, NEW_PW));
  g_assert_false (accepts (f->sim, "old-kitchen-pw"));
  g_assert_true (g_file_get_contents (f->yaml, &yaml_after, NULL, NULL));
  g_assert_cmpstr (yaml_after, ==, f->original);
  g_assert_true (g_file_get_contents (secrets_path, &secrets_after, NULL, NULL));
  g_assert_cmpstr (secrets_after, ==, "wifi_password: \"x\"\nkitchen_ota: " NEW_PW "\n");
}

static void
test_wrong_current (Fixture       *f,
                    gconstpointer  data)
{
  espy_sim_device_set_password (f->sim, "changed-behind-our-back");
  next (f);
  g_assert_true (wait_page (f->wizard, "check", 2000));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->wizard), "wizard.check", NULL));
  while (ui_test_find_label (GTK_WIDGET (f->wizard), "Check failed") == NULL)
    g_main_context_iteration (NULL, TRUE);
  /* The error stays on the page and says what to do next. */
  g_assert_nonnull (ui_test_find_label (GTK_WIDGET (f->wizard), "rejects the password in my YAML"));
  ui_test_screenshot_content (GTK_WIDGET (f->wizard), "password-7-check-failed");
  next (f);
  ui_test_spin (100);
  g_assert_cmpstr (espy_password_wizard_get_page (f->wizard), ==, "check");
}

int
main (int   argc,
      char *argv[])
{
  if (!ui_test_init (&argc, &argv))
    return 0;

  g_test_add ("/ui/password/change", Fixture, NULL, fixture_setup, test_change, fixture_teardown);
  g_test_add ("/ui/password/wrong-current", Fixture, NULL, fixture_setup, test_wrong_current, fixture_teardown);
  return g_test_run ();
}
