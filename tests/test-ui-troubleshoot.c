/* test-ui-troubleshoot.c: the troubleshooting page and the "Recent
 * problems" list under Xvfb, for an install that really failed against a
 * simulated device. Screenshots go to $ESPY_SCREENSHOTS_DIR when it is set.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "espy-device-store.h"
#include "espy-history.h"
#include "espy-install-job.h"
#include "espy-rate-plot.h"
#include "espy-recent-problems.h"
#include "espy-sim-device.h"
#include "espy-troubleshoot-page.h"
#include "ui-test-util.h"

#define PASSWORD "sekrit-pass-42"

/* --- a window with some of the real window's actions ----------------------- */

#define TEST_TYPE_WINDOW (test_window_get_type ())
G_DECLARE_FINAL_TYPE (TestWindow, test_window, TEST, WINDOW, AdwWindow)

struct _TestWindow {
  AdwWindow  parent_instance;
  GPtrArray *activated;  /* "action:param" strings */
};

G_DEFINE_FINAL_TYPE (TestWindow, test_window, ADW_TYPE_WINDOW)

static void
record_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  g_ptr_array_add (TEST_WINDOW (widget)->activated,
                   g_strdup_printf ("%s:%s", action_name, g_variant_get_string (parameter, NULL)));
}

static void
test_window_finalize (GObject *object)
{
  g_ptr_array_unref (TEST_WINDOW (object)->activated);
  G_OBJECT_CLASS (test_window_parent_class)->finalize (object);
}

static void
test_window_class_init (TestWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_window_finalize;
  /* Deliberately not win.change-password: its button must stay hidden. */
  gtk_widget_class_install_action (GTK_WIDGET_CLASS (klass), "win.install", "s", record_action);
  gtk_widget_class_install_action (GTK_WIDGET_CLASS (klass), "win.show-logs", "s", record_action);
  gtk_widget_class_install_action (GTK_WIDGET_CLASS (klass), "win.open-yaml", "s", record_action);
  gtk_widget_class_install_action (GTK_WIDGET_CLASS (klass), "win.troubleshoot", "s", record_action);
}

static void
test_window_init (TestWindow *self)
{
  self->activated = g_ptr_array_new_with_free_func (g_free);
}

/* --- helpers ---------------------------------------------------------------- */

static GtkWidget *
find_named (GtkWidget  *widget,
            GType       type,
            const char *name)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) && g_strcmp0 (gtk_widget_get_name (widget), name) == 0 &&
      gtk_widget_is_drawable (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, type, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* --- a real failed install -------------------------------------------------- */

typedef struct {
  EspySimDevice      *sim;
  EspyDeviceStore    *store;
  EspyDevice         *device;
  EspyInstallAttempt *attempt;
  gboolean            done;
  char               *dir;
  char               *history_path;
} Fixture;

static void
finished_cb (EspyInstallJob     *job,
             EspyInstallAttempt *attempt,
             Fixture            *f)
{
  f->attempt = espy_install_attempt_ref (attempt);
}

static void
job_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fixture *f = user_data;

  g_assert_false (espy_install_job_run_finish (ESPY_INSTALL_JOB (source), result, NULL));
  f->done = TRUE;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();
  g_autoptr(GBytes) bytes = espy_sim_make_image (400 * 1024, "2026.1.0", "Jan 10 2026, 12:00:00", 3);
  g_autoptr(EspyFirmwareImage) image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);
  g_autoptr(EspyInstallJob) job = NULL;

  f->dir = g_dir_make_tmp ("espy-ui-troubleshoot-XXXXXX", NULL);
  f->history_path = g_build_filename (f->dir, "history.json", NULL);

  /* A device whose flash fails halfway through, slowly enough for a rate plot. */
  f->sim = espy_sim_device_new ("kitchen");
  espy_sim_device_set_platform (f->sim, "ESP32");
  espy_sim_device_set_version (f->sim, "2025.10.0");
  espy_sim_device_set_generation (f->sim, ESPY_SIM_GENERATION_2025_10);
  espy_sim_device_set_password (f->sim, PASSWORD);
  espy_sim_device_set_flash_rate (f->sim, 160 * 1024);
  espy_sim_device_add_fault (f->sim, ESPY_SIM_STEP_DATA, ESPY_SIM_FAULT_ERROR, 0x83);
  g_assert_true (espy_sim_device_start (f->sim, &error));
  g_assert_no_error (error);

  f->store = espy_device_store_new ();
  espy_device_info_set_name (info, "kitchen");
  espy_device_info_set_friendly_name (info, "Kitchen Light");
  espy_device_info_add_address (info, "127.0.0.1");
  info->ota_port = espy_sim_device_get_ota_port (f->sim);
  info->api_port = 1;  /* nothing listens there */
  espy_device_info_set_platform (info, "ESP32");
  espy_device_info_set_version (info, "2025.10.0");
  g_assert_true (espy_device_store_update (f->store, ESPY_DEVICE_SOURCE_MANUAL, "kitchen", info));
  f->device = espy_device_store_lookup (f->store, "kitchen");

  job = espy_install_job_new (f->device, image);
  espy_install_job_set_transport (job, ESPY_INSTALL_TRANSPORT_OTA);
  espy_install_job_set_password (job, PASSWORD);
  espy_install_job_set_ota_retries (job, 0, 0);
  g_signal_connect (job, "finished", G_CALLBACK (finished_cb), f);
  espy_install_job_run_async (job, NULL, job_done_cb, f);
  while (!f->done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (f->attempt);
  g_assert_cmpint (f->attempt->device_code, ==, 0x83);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  espy_sim_device_stop (f->sim);
  g_clear_object (&f->sim);
  g_clear_object (&f->store);
  g_clear_pointer (&f->attempt, espy_install_attempt_unref);
  g_remove (f->history_path);
  g_rmdir (f->dir);
  g_free (f->history_path);
  g_free (f->dir);
}

static gboolean
checks_done (gpointer data)
{
  return !espy_troubleshoot_page_get_checks_running (data) && espy_troubleshoot_page_get_checks (data) != NULL;
}

/* --- tests ------------------------------------------------------------------ */

static void
test_page (Fixture       *f,
           gconstpointer  data)
{
  GtkWidget *window = g_object_new (TEST_TYPE_WINDOW, "default-width", 720, "default-height", 1500, NULL);
  GtkWidget *page = espy_troubleshoot_page_new (f->device, f->attempt);
  EspyTroubleshootPage *tp = ESPY_TROUBLESHOOT_PAGE (page);
  const char *logs[] = { "[E][ota.esphome:300]: Error writing flash", NULL };
  GtkWidget *retry, *plot, *row;
  g_autofree char *report = NULL;
  EspyDiagnosis *diag;
  gint64 deadline;

  espy_troubleshoot_page_set_ota_password (tp, PASSWORD);
  espy_troubleshoot_page_set_check_timeout (tp, 1500);
  espy_troubleshoot_page_set_log_lines (tp, logs);
  adw_window_set_content (ADW_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));

  /* The checks start by themselves when the page shows, and end within their bound. */
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!checks_done (tp) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (checks_done (tp));
  ui_test_spin (200);

  diag = espy_troubleshoot_page_get_diagnosis (tp);
  g_assert_cmpstr (diag->cause, ==, "flash-write-failed");

  /* Each check has its row with a pass or fail icon. */
  row = find_named (page, ADW_TYPE_ACTION_ROW, "ota-handshake");
  g_assert_nonnull (row);
  g_assert_nonnull (find_named (page, ADW_TYPE_ACTION_ROW, "api-port"));
  {
    const EspyCheckResult *r = espy_check_results_find (espy_troubleshoot_page_get_checks (tp),
                                                         ESPY_CHECK_OTA_HANDSHAKE);
    g_assert_cmpint (r->status, ==, ESPY_CHECK_STATUS_PASS);
  }

  /* Retry is a button (the window has win.install); Change Password is not. */
  retry = find_named (page, GTK_TYPE_BUTTON, "retry");
  g_assert_nonnull (retry);
  g_assert_null (find_named (page, GTK_TYPE_BUTTON, "change-password"));
  g_signal_emit_by_name (retry, "clicked");
  g_assert_cmpuint (TEST_WINDOW (window)->activated->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (TEST_WINDOW (window)->activated, 0), ==, "win.install:kitchen");

  /* The plot shows the upload until it failed. */
  plot = ui_test_find_type (page, ESPY_TYPE_RATE_PLOT);
  g_assert_nonnull (plot);
  g_assert_true (gtk_widget_is_drawable (plot));
  g_assert_cmpuint (espy_rate_plot_get_n_points (ESPY_RATE_PLOT (plot)), >, 0);
  g_assert_cmpfloat (espy_rate_plot_get_peak (ESPY_RATE_PLOT (plot)), >, 0);

  /* The report: everything, and no secret. */
  report = espy_troubleshoot_page_build_report (tp);
  g_assert_nonnull (strstr (report, diag->title));
  g_assert_nonnull (strstr (report, "0x83"));
  g_assert_nonnull (strstr (report, "Error writing flash"));
  g_assert_null (strstr (report, PASSWORD));

  ui_test_screenshot_content (window, "troubleshoot-page");
  /* And the rest of it: checks, timeline, plot, report buttons. */
  {
    GtkScrolledWindow *sw = GTK_SCROLLED_WINDOW (ui_test_find_type (page, GTK_TYPE_SCROLLED_WINDOW));
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (sw);

    gtk_adjustment_set_value (adj, (gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj)) / 2);
    ui_test_screenshot_content (window, "troubleshoot-page-middle");
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
    ui_test_screenshot_content (window, "troubleshoot-page-bottom");
  }
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A device that is busy: no attempt, only the checks. */
static void
test_page_busy (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *window = g_object_new (TEST_TYPE_WINDOW, "default-width", 720, "default-height", 1100, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) holder = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *page;
  EspyTroubleshootPage *tp;
  const guint8 magic[] = { 0x6C, 0x26, 0xF7, 0x5C, 0x45 };
  guint8 answer[2];
  gint64 deadline;

  holder = g_socket_client_connect_to_host (client, "127.0.0.1", espy_sim_device_get_ota_port (f->sim), NULL,
                                            &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (holder)), magic, 5, NULL, NULL, &error);
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (holder)), answer, 2, NULL, NULL, &error);
  g_assert_no_error (error);

  page = espy_troubleshoot_page_new (f->device, NULL);
  tp = ESPY_TROUBLESHOOT_PAGE (page);
  espy_troubleshoot_page_set_check_timeout (tp, 1200);
  adw_window_set_content (ADW_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!checks_done (tp) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (checks_done (tp));
  g_assert_cmpstr (espy_troubleshoot_page_get_diagnosis (tp)->cause, ==, "busy");
  ui_test_screenshot_content (window, "troubleshoot-busy");

  g_io_stream_close (G_IO_STREAM (holder), NULL, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_recent_problems (Fixture       *f,
                      gconstpointer  data)
{
  GtkWidget *window = g_object_new (TEST_TYPE_WINDOW, "default-width", 600, "default-height", 300, NULL);
  g_autoptr(EspyHistory) history = espy_history_new (f->history_path);
  g_autoptr(EspyInstallAttempt) ok = espy_install_attempt_new ();
  GtkWidget *list = espy_recent_problems_new (history);
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *row;

  gtk_widget_set_margin_top (clamp, 12);
  gtk_widget_set_margin_bottom (clamp, 12);
  gtk_widget_set_margin_start (clamp, 12);
  gtk_widget_set_margin_end (clamp, 12);
  adw_clamp_set_child (ADW_CLAMP (clamp), list);
  adw_window_set_content (ADW_WINDOW (window), clamp);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpuint (espy_recent_problems_get_n_rows (ESPY_RECENT_PROBLEMS (list)), ==, 0);

  /* A success is no problem; the failure is. */
  espy_install_attempt_set_string (ok, &ok->device_name, "porch");
  espy_install_attempt_set_string (ok, &ok->result, "succeeded");
  ok->started = g_get_real_time ();
  espy_history_add (history, ok, NULL);
  espy_history_add (history, f->attempt, NULL);
  g_assert_cmpuint (espy_recent_problems_get_n_rows (ESPY_RECENT_PROBLEMS (list)), ==, 1);
  ui_test_spin (100);

  row = ui_test_find_type (list, ADW_TYPE_ACTION_ROW);
  while (row != NULL && !gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (row)))
    row = gtk_widget_get_next_sibling (row);
  g_assert_nonnull (row);
  g_signal_emit_by_name (row, "activate");
  g_assert_cmpuint (TEST_WINDOW (window)->activated->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (TEST_WINDOW (window)->activated, 0), ==, "win.troubleshoot:kitchen");

  ui_test_screenshot_content (window, "recent-problems");
  g_assert_true (espy_history_save (history, NULL));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  if (!ui_test_init (&argc, &argv))
    return 0;

  g_test_add ("/ui/troubleshoot/page", Fixture, NULL, fixture_setup, test_page, fixture_teardown);
  g_test_add ("/ui/troubleshoot/busy", Fixture, NULL, fixture_setup, test_page_busy, fixture_teardown);
  g_test_add ("/ui/troubleshoot/recent-problems", Fixture, NULL, fixture_setup, test_recent_problems,
              fixture_teardown);

  return g_test_run ();
}
