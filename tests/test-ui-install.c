/* test-ui-install.c: the Install dialog and the device page on a real X
 * server (Xvfb), against an in-process simulated device.
 *
 * Screenshots go to $ESPY_SCREENSHOTS_DIR when it is set (never into the
 * source tree by default).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "espy-device-page.h"
#include "espy-device-store.h"
#include "espy-install-dialog.h"
#include "espy-install-manager.h"
#include "espy-ota-error.h"
#include "espy-secrets.h"
#include "espy-sim-device.h"
#include "espy-sim-web-server.h"
#include "ui-test-util.h"

#define OLD_VERSION "2025.10.0"
#define NEW_VERSION "2026.1.0"
#define WEB_USER    "admin"
#define WEB_PASS    "w3b-ui-s3cret"

/* --- helpers -------------------------------------------------------------- */

typedef struct {
  EspySimDevice      *sim;
  EspyDeviceStore    *store;
  EspyDevice         *device;
  EspyInstallManager *manager;
  GtkWidget          *parent;
  GtkWidget          *dialog;
  char               *tmpdir;
  GFile              *firmware;
  GArray             *states;
} Fixture;

static void
announce (Fixture          *f,
          EspyDeviceSource  source,
          const char       *version)
{
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();

  espy_device_info_set_name (info, "kitchen");
  espy_device_info_set_friendly_name (info, "Kitchen Lights");
  info->ota_port = espy_sim_device_get_ota_port (f->sim);
  info->web_port = espy_sim_device_get_web_port (f->sim) != 0 ? espy_sim_device_get_web_port (f->sim) : 8080;
  if (source == ESPY_DEVICE_SOURCE_MANUAL)
    {
      /* What a manual entry holds: a name, a host and ports. */
      espy_device_info_set_host (info, "127.0.0.1");
      g_assert_true (espy_device_store_update (f->store, source, "kitchen", info));
      return;
    }
  espy_device_info_add_address (info, "127.0.0.1");
  espy_device_info_set_mac (info, "acbc32001122");
  espy_device_info_set_platform (info, "ESP32");
  espy_device_info_set_board (info, "esp32dev");
  espy_device_info_set_version (info, version);
  espy_device_info_set_network (info, "wifi");
  g_assert_true (espy_device_store_update (f->store, source, "kitchen", info));
}

/* mDNS sees the device again after its reboot. */
static void
sim_state_cb (EspySimDevice *sim,
              guint          state,
              Fixture       *f)
{
  if (state == ESPY_SIM_STATE_RUNNING && espy_sim_device_get_upload_count (sim) > 0)
    announce (f, ESPY_DEVICE_SOURCE_MDNS, espy_sim_device_get_version (sim));
}

static void
job_state_cb (EspyInstallJob   *job,
              EspyInstallState  old_state,
              EspyInstallState  new_state,
              Fixture          *f)
{
  g_array_append_val (f->states, new_state);
}

static void
job_started_cb (EspyInstallManager *manager,
                EspyInstallJob     *job,
                Fixture            *f)
{
  g_signal_connect (job, "state-changed", G_CALLBACK (job_state_cb), f);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->sim = espy_sim_device_new ("kitchen");
  espy_sim_device_set_platform (f->sim, "ESP32");
  espy_sim_device_set_version (f->sim, OLD_VERSION);
  espy_sim_device_set_boot_ms (f->sim, 200);
  g_signal_connect (f->sim, "state-changed", G_CALLBACK (sim_state_cb), f);
  f->store = espy_device_store_new ();
  espy_device_store_set_probe_interval (f->store, 0);
  f->manager = espy_install_manager_new ();
  g_signal_connect (f->manager, "job-started", G_CALLBACK (job_started_cb), f);
  f->states = g_array_new (FALSE, FALSE, sizeof (EspyInstallState));
  f->tmpdir = g_dir_make_tmp ("espy-ui-XXXXXX", NULL);
  g_assert_nonnull (f->tmpdir);

  f->parent = adw_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->parent), 800, 600);
  gtk_window_present (GTK_WINDOW (f->parent));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (f->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (f->dialog));
  g_clear_object (&f->dialog);
  gtk_window_destroy (GTK_WINDOW (f->parent));
  espy_install_manager_cancel_all (f->manager);
  while (espy_install_manager_get_has_running (f->manager))
    g_main_context_iteration (NULL, TRUE);
  g_signal_handlers_disconnect_by_data (f->sim, f);
  espy_sim_device_stop (f->sim);
  g_clear_object (&f->sim);
  g_clear_object (&f->manager);
  g_clear_object (&f->store);
  g_clear_object (&f->firmware);
  g_array_unref (f->states);

  dir = g_dir_open (f->tmpdir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->tmpdir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (f->tmpdir);
  g_free (f->tmpdir);
}

static void
start_device (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (espy_sim_device_start (f->sim, &error));
  g_assert_no_error (error);
  /* Added by address, and announced by mDNS like a device on this network. */
  announce (f, ESPY_DEVICE_SOURCE_MANUAL, OLD_VERSION);
  announce (f, ESPY_DEVICE_SOURCE_MDNS, OLD_VERSION);
  f->device = espy_device_store_lookup (f->store, "kitchen");
  g_assert_nonnull (f->device);
}

static GFile *
write_file (Fixture    *f,
            const char *name,
            GBytes     *bytes)
{
  g_autofree char *path = g_build_filename (f->tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

static gboolean
can_install_cond (gpointer data)
{
  return espy_install_dialog_get_can_install (ESPY_INSTALL_DIALOG (((Fixture *) data)->dialog));
}

static gboolean
file_checked_cond (gpointer data)
{
  Fixture *f = data;

  return ui_test_find_label (f->dialog, "Checking") == NULL;
}

static gboolean
result_cond (gpointer data)
{
  const char *page = espy_install_dialog_get_page (ESPY_INSTALL_DIALOG (((Fixture *) data)->dialog));

  return g_strcmp0 (page, "success") == 0 || g_strcmp0 (page, "failure") == 0;
}

static gboolean
uploading_cond (gpointer data)
{
  EspyInstallJob *job = espy_install_dialog_get_job (ESPY_INSTALL_DIALOG (((Fixture *) data)->dialog));

  return job != NULL && espy_install_job_get_state (job) == ESPY_INSTALL_STATE_UPLOADING
      && espy_install_job_get_fraction (job) >= 0.4;
}

/* Opens the dialog on a generated firmware file, checked and ready. */
static void
open_dialog (Fixture *f,
             gsize    image_size)
{
  g_autoptr(GBytes) image = espy_sim_make_image (image_size, NEW_VERSION, "Jan 10 2026, 12:00:00", 11);

  f->firmware = write_file (f, "firmware.bin", image);
  f->dialog = g_object_ref_sink (espy_install_dialog_new_full (GTK_WINDOW (f->parent), f->device,
                                                               f->manager, NULL));
  gtk_window_present (GTK_WINDOW (f->dialog));
  g_assert_cmpstr (espy_install_dialog_get_page (ESPY_INSTALL_DIALOG (f->dialog)), ==, "setup");
  g_assert_false (espy_install_dialog_get_can_install (ESPY_INSTALL_DIALOG (f->dialog)));

  espy_install_dialog_set_file (ESPY_INSTALL_DIALOG (f->dialog), f->firmware);
  g_assert_true (ui_test_wait_until (can_install_cond, f, 10000));
  g_assert_nonnull (ui_test_find_label (f->dialog, "firmware.bin"));
  /* The rows a user sees before installing. */
  g_assert_nonnull (ui_test_find_label (f->dialog, "Build from Configuration"));
  g_assert_nonnull (ui_test_find_label (f->dialog, "No configuration for this device in the folder"));
  g_assert_nonnull (ui_test_find_label (f->dialog, "Wirelessly"));
}

static void
press_install (Fixture *f)
{
  g_assert_true (gtk_widget_activate_action (f->dialog, "install.start", NULL));
  g_assert_nonnull (espy_install_dialog_get_job (ESPY_INSTALL_DIALOG (f->dialog)));
}

/* --- tests ------------------------------------------------------------------ */

static void
test_success (Fixture       *f,
              gconstpointer  data)
{
  static const EspyInstallState expected[] = {
    ESPY_INSTALL_STATE_PREPARING, ESPY_INSTALL_STATE_CONNECTING, ESPY_INSTALL_STATE_UPLOADING,
    ESPY_INSTALL_STATE_REBOOTING, ESPY_INSTALL_STATE_VERIFYING, ESPY_INSTALL_STATE_SUCCEEDED,
  };
  guint i;

  /* About 4 s of upload: long enough to see the progress page. */
  espy_sim_device_set_flash_rate (f->sim, 128 * 1024);
  start_device (f);
  open_dialog (f, 512 * 1024);
  press_install (f);
  g_assert_cmpstr (espy_install_dialog_get_page (ESPY_INSTALL_DIALOG (f->dialog)), ==, "progress");

  g_assert_true (ui_test_wait_until (uploading_cond, f, 20000));
  g_assert_nonnull (ui_test_find_label (f->dialog, "Uploading"));
  g_assert_nonnull (ui_test_find_label (f->dialog, "/s"));        /* speed */
  g_assert_nonnull (ui_test_find_label (f->dialog, "left"));      /* ETA */
  ui_test_screenshot_content (f->dialog, "install-progress");

  g_assert_true (ui_test_wait_until (result_cond, f, 30000));
  g_assert_cmpstr (espy_install_dialog_get_page (ESPY_INSTALL_DIALOG (f->dialog)), ==, "success");
  g_assert_cmpuint (f->states->len, ==, G_N_ELEMENTS (expected));
  for (i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (g_array_index (f->states, EspyInstallState, i), ==, expected[i]);
  g_assert_nonnull (ui_test_find_label (f->dialog, "Firmware Installed"));
  g_assert_nonnull (ui_test_find_label (f->dialog, NEW_VERSION));
  g_assert_cmpstr (espy_device_get_version (f->device), ==, NEW_VERSION);
  ui_test_screenshot_content (f->dialog, "install-succeeded");
}

static void
test_failure (Fixture       *f,
              gconstpointer  data)
{
  EspyInstallJob *job;

  espy_sim_device_add_fault (f->sim, ESPY_SIM_STEP_PREPARE, ESPY_SIM_FAULT_ERROR, 0x89);
  start_device (f);
  open_dialog (f, 64 * 1024);
  press_install (f);
  g_assert_true (ui_test_wait_until (result_cond, f, 30000));
  g_assert_cmpstr (espy_install_dialog_get_page (ESPY_INSTALL_DIALOG (f->dialog)), ==, "failure");

  job = espy_install_dialog_get_job (ESPY_INSTALL_DIALOG (f->dialog));
  g_assert_cmpint (espy_install_job_get_failed_state (job), ==, ESPY_INSTALL_STATE_UPLOADING);
  g_assert_cmpint (espy_install_job_get_device_code (job), ==, 0x89);
  /* The step, and the cause in words. */
  g_assert_nonnull (ui_test_find_label (f->dialog, "Upload Failed"));
  g_assert_nonnull (ui_test_find_label (f->dialog, espy_ota_error_describe (ESPY_OTA_ERROR_ESP32_NOT_ENOUGH_SPACE)));
  g_assert_nonnull (ui_test_find_label (f->dialog, "Try Again"));
  /* No win.troubleshoot on this parent: no button that does nothing. */
  g_assert_null (ui_test_find_label (f->dialog, "Troubleshoot"));
  ui_test_screenshot_content (f->dialog, "install-failed");

  /* Try Again: back to the setup, file kept. */
  g_assert_true (gtk_widget_activate_action (f->dialog, "install.retry", NULL));
  g_assert_cmpstr (espy_install_dialog_get_page (ESPY_INSTALL_DIALOG (f->dialog)), ==, "setup");
  g_assert_true (espy_install_dialog_get_can_install (ESPY_INSTALL_DIALOG (f->dialog)));
}

static void
test_bad_file (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GBytes) text = g_bytes_new_static ("esphome:\n  name: kitchen\n", 25);
  g_autoptr(GFile) file = NULL;

  start_device (f);
  f->dialog = g_object_ref_sink (espy_install_dialog_new_full (GTK_WINDOW (f->parent), f->device,
                                                               f->manager, NULL));
  gtk_window_present (GTK_WINDOW (f->dialog));
  file = write_file (f, "kitchen.bin", text);
  espy_install_dialog_set_file (ESPY_INSTALL_DIALOG (f->dialog), file);
  g_assert_true (ui_test_wait_until (file_checked_cond, f, 10000));
  ui_test_spin (100);
  g_assert_false (espy_install_dialog_get_can_install (ESPY_INSTALL_DIALOG (f->dialog)));
  g_assert_nonnull (ui_test_find_label (f->dialog, "kitchen.bin"));
  g_assert_nonnull (ui_test_find_label (f->dialog, "firmware"));  /* the image check's message */
  g_assert_null (espy_install_dialog_get_job (ESPY_INSTALL_DIALOG (f->dialog)));
  g_assert_cmpuint (espy_sim_device_get_connection_count (f->sim), ==, 0);
  ui_test_screenshot_content (f->dialog, "install-bad-file");
}

static gboolean
job_final_cond (gpointer data)
{
  return espy_install_job_is_final (ESPY_INSTALL_JOB (data));
}

static void
test_close_keeps_running (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(EspyInstallJob) job = NULL;

  espy_sim_device_set_flash_rate (f->sim, 128 * 1024);
  start_device (f);
  open_dialog (f, 384 * 1024);
  press_install (f);
  g_assert_true (ui_test_wait_until (uploading_cond, f, 20000));

  job = g_object_ref (espy_install_dialog_get_job (ESPY_INSTALL_DIALOG (f->dialog)));
  gtk_window_close (GTK_WINDOW (f->dialog));
  g_clear_object (&f->dialog);
  g_assert_true (espy_install_manager_get_has_running (f->manager));
  g_assert_true (espy_install_manager_lookup_active (f->manager, "kitchen") == job);

  g_assert_true (ui_test_wait_until (job_final_cond, job, 30000));
  g_assert_cmpint (espy_install_job_get_state (job), ==, ESPY_INSTALL_STATE_SUCCEEDED);
  g_assert_cmpstr (espy_install_job_get_new_version (job), ==, NEW_VERSION);
  g_assert_cmpuint (espy_sim_device_get_upload_count (f->sim), ==, 1);

  /* Opening it again for the finished job shows its result. */
  f->dialog = g_object_ref_sink (espy_install_dialog_new_full (GTK_WINDOW (f->parent), f->device,
                                                               f->manager, NULL));
  g_object_set (f->dialog, "job", job, NULL);
  g_assert_cmpstr (espy_install_dialog_get_page (ESPY_INSTALL_DIALOG (f->dialog)), ==, "success");
}

static void
test_device_page (Fixture       *f,
                  gconstpointer  data)
{
  GtkWidget *page;
  g_autofree char *port = NULL;

  start_device (f);
  page = espy_device_page_new ();
  g_object_set (page, "device-store", f->store, NULL);
  gtk_window_set_default_size (GTK_WINDOW (f->parent), 480, 1500);
  adw_window_set_content (ADW_WINDOW (f->parent), page);
  espy_device_page_set_device (ESPY_DEVICE_PAGE (page), f->device);
  ui_test_spin (200);

  port = g_strdup_printf ("%u", (guint) espy_sim_device_get_ota_port (f->sim));
  g_assert_nonnull (ui_test_find_label (page, "Kitchen Lights"));
  g_assert_nonnull (ui_test_find_label (page, "ac:bc:32:00:11:22"));
  g_assert_nonnull (ui_test_find_label (page, "esp32dev"));
  g_assert_nonnull (ui_test_find_label (page, OLD_VERSION));
  g_assert_nonnull (ui_test_find_label (page, port));
  g_assert_nonnull (ui_test_find_label (page, "http://127.0.0.1:8080/"));
  g_assert_nonnull (ui_test_find_label (page, "added by address"));
  g_assert_nonnull (ui_test_find_label (page, "Forget Device"));
  ui_test_screenshot_content (f->parent, "device-page");

  /* Without a manual source, nothing to forget. */
  g_assert_true (espy_device_store_remove (f->store, ESPY_DEVICE_SOURCE_MANUAL, "kitchen"));
  ui_test_spin (50);
  g_assert_null (ui_test_find_label (page, "Forget Device"));

  espy_device_page_set_device (ESPY_DEVICE_PAGE (page), NULL);
}


/* --- web server credentials ------------------------------------------------ */

typedef struct {
  gboolean  done;
  char     *secret;
} SecretWait;

static void
secret_cleared_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(GError) error = NULL;

  espy_secrets_clear_finish (result, NULL, &error);
  g_assert_no_error (error);
  ((SecretWait *) data)->done = TRUE;
}

static void
secret_looked_up_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  SecretWait *w = data;
  g_autoptr(GError) error = NULL;

  w->secret = espy_secrets_lookup_finish (result, &error);
  g_assert_no_error (error);
  w->done = TRUE;
}

static gboolean
flag_cond (gpointer data)
{
  return ((SecretWait *) data)->done;
}

static void
clear_secret (EspySecretKind kind)
{
  SecretWait w = { 0 };

  espy_secrets_clear_async ("kitchen", kind, NULL, secret_cleared_cb, &w);
  g_assert_true (ui_test_wait_until (flag_cond, &w, 10000));
}

/* The keyring's secret of KIND for "kitchen" (NULL: none). */
static char *
lookup_secret (EspySecretKind kind)
{
  SecretWait w = { 0 };

  espy_secrets_lookup_async ("kitchen", kind, NULL, secret_looked_up_cb, &w);
  g_assert_true (ui_test_wait_until (flag_cond, &w, 10000));
  return w.secret;
}

/* The preferences group titled TITLE (visible or not). */
static GtkWidget *
find_group (GtkWidget  *widget,
            const char *title)
{
  if (ADW_IS_PREFERENCES_GROUP (widget)
      && g_strcmp0 (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (widget)), title) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_group (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_row (GtkWidget  *widget,
          GType       type,
          const char *title)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type)
      && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row (child, type, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_type (GtkWidget *widget,
           GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_type (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
keyring_label_cond (gpointer data)
{
  return ui_test_find_label (((Fixture *) data)->dialog, "From the keyring") != NULL;
}

static void
test_web_credentials (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *stored_user = NULL;
  g_autofree char *stored_password = NULL;
  GtkWidget *group;
  GtkWidget *user_row;
  GtkWidget *password_row;
  GtkWidget *ota_password_row;
  EspyInstallJob *job;

  clear_secret (ESPY_SECRET_KIND_WEB_USER);
  clear_secret (ESPY_SECRET_KIND_WEB_PASSWORD);
  /* The device's web server asks for Basic authentication (ESP-IDF). */
  espy_sim_device_set_web_port (f->sim, 0);
  espy_sim_device_set_web_auth (f->sim, WEB_USER, WEB_PASS, ESPY_SIM_WEB_FLAVOUR_ESP_IDF);
  start_device (f);
  g_assert_cmpuint (espy_device_get_web_port (f->device), ==, espy_sim_device_get_web_port (f->sim));
  open_dialog (f, 64 * 1024);

  /* Native OTA: nothing about the web server. */
  group = find_group (f->dialog, "Web Server Sign-In");
  g_assert_nonnull (group);
  g_assert_false (gtk_widget_get_visible (group));
  g_assert_true (gtk_widget_get_visible (find_group (f->dialog, "Password")));

  espy_install_dialog_set_transport (ESPY_INSTALL_DIALOG (f->dialog), ESPY_INSTALL_TRANSPORT_WEB);
  ui_test_spin (300);  /* the keyring lookup (nothing there) */
  g_assert_true (gtk_widget_get_visible (group));
  user_row = find_row (group, ADW_TYPE_ENTRY_ROW, "User Name");
  password_row = find_row (group, ADW_TYPE_PASSWORD_ENTRY_ROW, "Web Server Password");
  g_assert_nonnull (user_row);
  g_assert_nonnull (password_row);
  g_assert_true (gtk_widget_get_visible (user_row));
  g_assert_true (gtk_widget_get_visible (password_row));
  g_assert_null (ui_test_find_label (f->dialog, "From the keyring"));
  /* The OTA password entry is another row: typing there is not the web password. */
  ota_password_row = find_row (f->dialog, ADW_TYPE_PASSWORD_ENTRY_ROW, "OTA Password");
  g_assert_nonnull (ota_password_row);
  g_assert_true (ota_password_row != password_row);
  g_assert_false (gtk_widget_get_visible (find_group (f->dialog, "Password")));

  gtk_editable_set_text (GTK_EDITABLE (user_row), WEB_USER);
  gtk_editable_set_text (GTK_EDITABLE (password_row), WEB_PASS);
  gtk_switch_set_active (GTK_SWITCH (find_type (group, GTK_TYPE_SWITCH)), TRUE);
  ui_test_screenshot_content (f->dialog, "install-web-credentials");

  press_install (f);
  g_assert_true (ui_test_wait_until (result_cond, f, 30000));
  job = espy_install_dialog_get_job (ESPY_INSTALL_DIALOG (f->dialog));
  if (espy_install_job_get_error (job) != NULL)
    g_test_message ("install: %s", espy_install_job_get_error (job)->message);
  g_assert_cmpstr (espy_install_dialog_get_page (ESPY_INSTALL_DIALOG (f->dialog)), ==, "success");
  g_assert_cmpint (espy_install_job_get_transport_used (job), ==, ESPY_INSTALL_TRANSPORT_WEB);
  g_assert_cmpuint (espy_sim_device_get_upload_count (f->sim), ==, 1);
  g_assert_null (strstr (espy_install_job_get_log (job), WEB_PASS));

  /* Remembered once it worked. */
  for (guint i = 0; i < 50 && stored_password == NULL; i++)
    {
      ui_test_spin (100);
      stored_password = lookup_secret (ESPY_SECRET_KIND_WEB_PASSWORD);
    }
  stored_user = lookup_secret (ESPY_SECRET_KIND_WEB_USER);
  g_assert_cmpstr (stored_user, ==, WEB_USER);
  g_assert_cmpstr (stored_password, ==, WEB_PASS);

  /* Next time the keyring answers: no fields, the source said. */
  gtk_window_destroy (GTK_WINDOW (f->dialog));
  g_clear_object (&f->dialog);
  f->dialog = g_object_ref_sink (espy_install_dialog_new_full (GTK_WINDOW (f->parent), f->device,
                                                               f->manager, NULL));
  gtk_window_present (GTK_WINDOW (f->dialog));
  espy_install_dialog_set_transport (ESPY_INSTALL_DIALOG (f->dialog), ESPY_INSTALL_TRANSPORT_WEB);
  g_assert_true (ui_test_wait_until (keyring_label_cond, f, 10000));
  group = find_group (f->dialog, "Web Server Sign-In");
  g_assert_false (gtk_widget_get_visible (find_row (group, ADW_TYPE_ENTRY_ROW, "User Name")));
  ui_test_screenshot_content (f->dialog, "install-web-credentials-keyring");

  /* Change: the fields again, the keyring's answer set aside. */
  g_assert_true (gtk_widget_activate_action (f->dialog, "install.change-web-credentials", NULL));
  g_assert_true (gtk_widget_get_visible (find_row (group, ADW_TYPE_ENTRY_ROW, "User Name")));
  g_assert_null (ui_test_find_label (f->dialog, "From the keyring"));

  clear_secret (ESPY_SECRET_KIND_WEB_USER);
  clear_secret (ESPY_SECRET_KIND_WEB_PASSWORD);
}

int
main (int   argc,
      char *argv[])
{
  if (!ui_test_init (&argc, &argv))
    return 0;

#define UI_TEST(path, fn) \
  g_test_add ("/ui/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

  UI_TEST ("install/success", test_success);
  UI_TEST ("install/failure", test_failure);
  UI_TEST ("install/bad-file", test_bad_file);
  UI_TEST ("install/close-keeps-running", test_close_keeps_running);
  UI_TEST ("install/web-credentials", test_web_credentials);
  UI_TEST ("device-page/details", test_device_page);

  return g_test_run ();
}
