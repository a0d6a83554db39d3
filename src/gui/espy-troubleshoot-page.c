/* espy-troubleshoot-page.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-troubleshoot-page.h"

#include <glib/gi18n.h>
#include <string.h>

#include "espy-install-job.h"
#include "espy-rate-plot.h"
#include "espy-report.h"
#include "espy-secret-string.h"

struct _EspyTroubleshootPage {
  AdwBin              parent_instance;

  EspyDevice         *device;
  EspyInstallAttempt *attempt;
  char              **log_lines;
  EspyDiscovery      *discovery;
  char               *ota_password;
  char               *api_key;
  guint               timeout_ms;

  GPtrArray          *checks;       /* ESPY_N_CHECKS slots, NULL while pending; NULL before a run */
  EspyDiagnosis      *diagnosis;
  EspyDeviceChecks   *runner;
  GCancellable       *cancellable;
  gboolean            running;
  gboolean            checked_once;

  GPtrArray          *step_rows;
  GPtrArray          *check_rows;
  GPtrArray          *timeline_rows;

  /* template */
  GtkImage           *status_icon;
  GtkLabel           *title_label;
  GtkLabel           *explanation_label;
  GtkLabel           *error_label;
  AdwPreferencesGroup *steps_group;
  AdwPreferencesGroup *checks_group;
  AdwPreferencesGroup *attempt_group;
  GtkSpinner         *checks_spinner;
  GtkWidget          *checks_button;
  GtkWidget          *plot_frame;
  EspyRatePlot       *rate_plot;
};

G_DEFINE_FINAL_TYPE (EspyTroubleshootPage, espy_troubleshoot_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_DEVICE,
  PROP_ATTEMPT,
  PROP_DIAGNOSIS,
  PROP_CHECKS_RUNNING,
  N_PROPS
};

enum {
  CHECKS_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The window action behind each diagnosis action; NULL: no button. */
static const char *
window_action_for (EspyDiagnosisAction action)
{
  switch (action)
    {
    case ESPY_DIAGNOSIS_ACTION_RETRY: return "win.install";
    case ESPY_DIAGNOSIS_ACTION_RETRY_WEB: return "win.install-web";
    case ESPY_DIAGNOSIS_ACTION_CHANGE_PASSWORD: return "win.change-password";
    case ESPY_DIAGNOSIS_ACTION_SHOW_LOGS: return "win.show-logs";
    case ESPY_DIAGNOSIS_ACTION_OPEN_YAML: return "win.open-yaml";
    case ESPY_DIAGNOSIS_ACTION_USE_ADDRESS: return "win.use-address";
    case ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE: return "win.choose-firmware";
    case ESPY_DIAGNOSIS_ACTION_POWER_CYCLE:
    case ESPY_DIAGNOSIS_ACTION_NONE:
    default: return NULL;
    }
}

/* Whether the window we are in offers ACTION ("win.name"): as an action
 * installed on its class, or in its GActionMap. */
static gboolean
window_has_action (GtkWidget  *widget,
                   const char *action)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  const char *name;
  const GVariantType *param;
  const char *property;
  GType owner;

  if (root == NULL || action == NULL)
    return FALSE;
  for (guint i = 0; gtk_widget_class_query_action (GTK_WIDGET_GET_CLASS (root), i, &owner, &name, &param, &property);
       i++)
    if (g_str_equal (name, action))
      return param != NULL && g_variant_type_equal (param, G_VARIANT_TYPE_STRING);
  if (G_IS_ACTION_MAP (root) && g_str_has_prefix (action, "win."))
    {
      GAction *a = g_action_map_lookup_action (G_ACTION_MAP (root), action + 4);
      const GVariantType *type = a != NULL ? g_action_get_parameter_type (a) : NULL;

      return type != NULL && g_variant_type_equal (type, G_VARIANT_TYPE_STRING);
    }
  return FALSE;
}

static void
clear_rows (AdwPreferencesGroup *group,
            GPtrArray           *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

/* --- refreshing ------------------------------------------------------------- */

static void
refresh_diagnosis (EspyTroubleshootPage *self)
{
  EspyDiagnosisInput input = { 0 };
  g_autoptr(GPtrArray) done = g_ptr_array_new ();
  const char *device_name = self->device != NULL ? espy_device_get_name (self->device) : NULL;
  gboolean fine;

  /* Only finished checks count. */
  for (guint i = 0; self->checks != NULL && i < self->checks->len; i++)
    if (g_ptr_array_index (self->checks, i) != NULL)
      g_ptr_array_add (done, g_ptr_array_index (self->checks, i));

  input.attempt = self->attempt;
  input.checks = done->len > 0 ? done : NULL;
  input.log_lines = (const char * const *) self->log_lines;
  input.platform = self->device != NULL ? espy_device_get_platform (self->device) : NULL;
  input.host = self->device != NULL ? espy_device_get_address (self->device) : NULL;
  g_clear_pointer (&self->diagnosis, espy_diagnosis_unref);
  self->diagnosis = espy_diagnose (&input);

  fine = g_str_equal (self->diagnosis->cause, "healthy") || g_str_equal (self->diagnosis->cause, "succeeded");
  gtk_image_set_from_icon_name (self->status_icon, fine ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
  if (fine)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), "warning");
      gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "success");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), "success");
      gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "warning");
    }
  gtk_label_set_text (self->title_label, self->diagnosis->title);
  gtk_label_set_text (self->explanation_label, self->diagnosis->explanation);

  clear_rows (self->steps_group, self->step_rows);
  for (guint i = 0; i < self->diagnosis->steps->len; i++)
    {
      const EspyDiagnosisStep *step = g_ptr_array_index (self->diagnosis->steps, i);
      const char *action = window_action_for (step->action);
      g_autofree char *number = g_strdup_printf ("%u", i + 1);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *badge = gtk_label_new (number);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), step->text);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
      gtk_widget_add_css_class (badge, "dim-label");
      gtk_widget_add_css_class (badge, "numeric");
      gtk_widget_set_size_request (badge, 16, -1);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), badge);

      if (action != NULL && device_name != NULL && window_has_action (GTK_WIDGET (self), action))
        {
          GtkWidget *button = gtk_button_new_with_label (espy_diagnosis_action_label (step->action));

          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
          gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_string (device_name));
          /* The first actionable step is the suggested one. */
          if (i == 0)
            gtk_widget_add_css_class (button, "suggested-action");
          gtk_widget_set_name (button, espy_diagnosis_action_to_nick (step->action));
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
        }
      adw_preferences_group_add (self->steps_group, row);
      g_ptr_array_add (self->step_rows, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->steps_group), self->diagnosis->steps->len > 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIAGNOSIS]);
}

static void
refresh_checks (EspyTroubleshootPage *self)
{
  clear_rows (self->checks_group, self->check_rows);
  gtk_spinner_set_spinning (self->checks_spinner, self->running);
  gtk_widget_set_visible (GTK_WIDGET (self->checks_spinner), self->running);
  gtk_widget_set_sensitive (self->checks_button, !self->running && self->device != NULL);

  for (guint id = 0; self->checks != NULL && id < ESPY_N_CHECKS; id++)
    {
      const EspyCheckResult *r = g_ptr_array_index (self->checks, id);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), espy_check_id_describe (id));
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
      if (r == NULL)
        {
          icon = gtk_spinner_new ();
          gtk_spinner_start (GTK_SPINNER (icon));
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Checking…"));
        }
      else
        {
          g_autofree char *ms = g_strdup_printf (_("%u ms"), r->elapsed_ms);
          GtkWidget *timing = gtk_label_new (ms);

          icon = gtk_image_new_from_icon_name (r->status == ESPY_CHECK_STATUS_PASS ? "emblem-ok-symbolic"
                                               : r->status == ESPY_CHECK_STATUS_FAIL ? "dialog-error-symbolic"
                                               : "action-unavailable-symbolic");
          gtk_widget_add_css_class (icon, r->status == ESPY_CHECK_STATUS_PASS ? "success"
                                          : r->status == ESPY_CHECK_STATUS_FAIL ? "error" : "dim-label");
          gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          r->status == ESPY_CHECK_STATUS_PASS ? _("Passed")
                                          : r->status == ESPY_CHECK_STATUS_FAIL ? _("Failed") : _("Skipped"), -1);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), r->summary);
          /* Timings of the local checks (subnet, last seen) say nothing. */
          if (r->status != ESPY_CHECK_STATUS_SKIPPED && id != ESPY_CHECK_SUBNET && id != ESPY_CHECK_LAST_SEEN)
            {
              gtk_widget_add_css_class (timing, "dim-label");
              gtk_widget_add_css_class (timing, "numeric");
              adw_action_row_add_suffix (ADW_ACTION_ROW (row), timing);
            }
          else
            g_object_ref_sink (timing), g_object_unref (timing);
        }
      gtk_widget_set_valign (icon, GTK_ALIGN_CENTER);
      gtk_widget_set_name (row, espy_check_id_to_nick (id));
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      adw_preferences_group_add (self->checks_group, row);
      g_ptr_array_add (self->check_rows, row);
    }
}

static const char *
stage_title (const char *nick)
{
  GEnumClass *klass = g_type_class_ref (ESPY_TYPE_INSTALL_STATE);
  GEnumValue *value = nick != NULL ? g_enum_get_value_by_nick (klass, nick) : NULL;
  const char *title = value != NULL ? espy_install_state_describe (value->value) : nick;

  g_type_class_unref (klass);
  return title != NULL ? title : "";
}

static void
refresh_attempt (EspyTroubleshootPage *self)
{
  const EspyInstallAttempt *a = self->attempt;
  g_autofree char *when = NULL;
  g_autofree char *description = NULL;

  clear_rows (self->attempt_group, self->timeline_rows);
  gtk_widget_set_visible (GTK_WIDGET (self->attempt_group), a != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), a != NULL && a->error_message != NULL);
  gtk_label_set_text (self->error_label, a != NULL && a->error_message != NULL ? a->error_message : "");
  espy_rate_plot_set_attempt (self->rate_plot, a);
  gtk_widget_set_visible (self->plot_frame, espy_rate_plot_get_n_points (self->rate_plot) > 0);
  if (a == NULL)
    return;

  adw_preferences_group_set_title (self->attempt_group, g_strcmp0 (a->result, "failed") == 0
                                                        ? _("Last Failed Install") : _("Last Install"));
  when = espy_report_format_time (a->started);
  if (a->image_name != NULL)
    description = g_strdup_printf (_("Started %s, installing %s"), when, a->image_name);
  else
    description = g_strdup_printf (_("Started %s"), when);
  adw_preferences_group_set_description (self->attempt_group, description);

  for (guint i = 0; a->stages != NULL && i < a->stages->len; i++)
    {
      const EspyInstallAttemptStage *st = &g_array_index (a->stages, EspyInstallAttemptStage, i);
      gboolean failed = i == a->stages->len - 1 && g_strcmp0 (a->result, "failed") == 0;
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (st->started / G_USEC_PER_SEC);
      g_autofree char *clock = dt != NULL ? g_date_time_format (dt, "%H:%M:%S") : NULL;
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new_from_icon_name (failed ? "dialog-error-symbolic" : "emblem-ok-symbolic");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), stage_title (st->name));
      if (clock != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), clock);
      gtk_widget_add_css_class (icon, failed ? "error" : "success");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      if (st->finished >= st->started && st->finished > 0)
        {
          g_autofree char *duration = g_strdup_printf (_("%.1f s"),
                                                       (double) (st->finished - st->started) / G_USEC_PER_SEC);
          GtkWidget *label = gtk_label_new (duration);

          gtk_widget_add_css_class (label, "dim-label");
          gtk_widget_add_css_class (label, "numeric");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
        }
      adw_preferences_group_add (self->attempt_group, row);
      g_ptr_array_add (self->timeline_rows, row);
    }
}

/* --- checks ----------------------------------------------------------------- */

static void
check_finished_cb (EspyDeviceChecks     *runner,
                   EspyCheckResult      *result,
                   EspyTroubleshootPage *self)
{
  EspyCheckResult *copy;

  if (self->checks == NULL || runner != self->runner)
    return;
  /* The runner owns RESULT; keep our own copy. */
  copy = espy_check_result_new (result->id, result->status, result->summary);
  copy->elapsed_ms = result->elapsed_ms;
  copy->value = g_strdup (result->value);
  copy->error_domain = g_strdup (result->error_domain);
  copy->error_code = g_strdup (result->error_code);
  g_clear_pointer (&g_ptr_array_index (self->checks, result->id), espy_check_result_free);
  g_ptr_array_index (self->checks, result->id) = copy;
  refresh_checks (self);
}

static void
checks_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EspyTroubleshootPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = espy_device_checks_run_finish (ESPY_DEVICE_CHECKS (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (ESPY_DEVICE_CHECKS (source) != self->runner)
    return;
  g_signal_handlers_disconnect_by_data (self->runner, self);
  g_clear_object (&self->runner);
  self->running = FALSE;
  refresh_checks (self);
  refresh_diagnosis (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKS_RUNNING]);
  g_signal_emit (self, signals[CHECKS_FINISHED], 0);
}

void
espy_troubleshoot_page_run_checks (EspyTroubleshootPage *self)
{
  g_return_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self));

  if (self->device == NULL || self->running)
    return;

  self->checked_once = TRUE;
  self->running = TRUE;
  g_clear_pointer (&self->checks, g_ptr_array_unref);
  self->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_check_result_free);
  g_ptr_array_set_size (self->checks, ESPY_N_CHECKS);

  self->runner = espy_device_checks_new_for_device (self->device);
  espy_device_checks_set_timeout (self->runner, self->timeout_ms);
  espy_device_checks_set_ota_password (self->runner, self->ota_password);
  espy_device_checks_set_api_key (self->runner, self->api_key);
  if (self->discovery != NULL)
    espy_device_checks_set_discovery (self->runner, self->discovery);
  g_signal_connect (self->runner, "check-finished", G_CALLBACK (check_finished_cb), self);
  espy_device_checks_run_async (self->runner, self->cancellable, checks_done_cb, g_object_ref (self));

  refresh_checks (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKS_RUNNING]);
}

/* --- report ----------------------------------------------------------------- */

char *
espy_troubleshoot_page_build_report (EspyTroubleshootPage *self)
{
  EspyReportInput input = { 0 };
  g_autoptr(GPtrArray) done = g_ptr_array_new ();
  const char *secrets[3] = { self->ota_password, self->api_key, NULL };

  g_return_val_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self), NULL);

  for (guint i = 0; self->checks != NULL && i < self->checks->len; i++)
    if (g_ptr_array_index (self->checks, i) != NULL)
      g_ptr_array_add (done, g_ptr_array_index (self->checks, i));
  /* Skip the empty first slot: a NULL password would end the list early. */
  if (secrets[0] == NULL)
    secrets[0] = self->api_key, secrets[1] = NULL;

  input.device = self->device != NULL ? espy_device_get_display_name (self->device) : NULL;
  input.host = self->device != NULL ? espy_device_get_address (self->device) : NULL;
  input.attempt = self->attempt;
  input.log_lines = (const char * const *) self->log_lines;
  input.checks = done;
  input.diagnosis = self->diagnosis;
  input.secrets = secrets;
  return espy_report_build (&input);
}

static void
copy_report_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  g_autofree char *report = espy_troubleshoot_page_build_report (ESPY_TROUBLESHOOT_PAGE (widget));

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), report);
}

static void
report_saved_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_warning ("Could not save the troubleshooting report: %s", error->message);
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
save_response_cb (GtkNativeDialog      *dialog,
                  int                   response,
                  EspyTroubleshootPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      char *report = espy_troubleshoot_page_build_report (self);
      g_autoptr(GBytes) bytes = g_bytes_new_take (report, strlen (report));

      g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                           report_saved_cb, NULL);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
save_report_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  EspyTroubleshootPage *self = ESPY_TROUBLESHOOT_PAGE (widget);
  GtkNative *native = gtk_widget_get_native (widget);
  GtkFileChooserNative *dialog;
  g_autofree char *name = NULL;

  dialog = gtk_file_chooser_native_new (_("Save Troubleshooting Report"),
                                        GTK_IS_WINDOW (native) ? GTK_WINDOW (native) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  name = g_strdup_printf ("espy-report-%s.txt", self->device != NULL ? espy_device_get_name (self->device) : "device");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_signal_connect (dialog, "response", G_CALLBACK (save_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}
G_GNUC_END_IGNORE_DEPRECATIONS

static void
run_checks_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  espy_troubleshoot_page_run_checks (ESPY_TROUBLESHOOT_PAGE (widget));
}

/* --- GObject ---------------------------------------------------------------- */

static void
map_cb (EspyTroubleshootPage *self)
{
  /* The window (and so which actions exist) is known now. */
  refresh_diagnosis (self);
  if (!self->checked_once)
    espy_troubleshoot_page_run_checks (self);
}

static void
espy_troubleshoot_page_dispose (GObject *object)
{
  EspyTroubleshootPage *self = ESPY_TROUBLESHOOT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->runner != NULL)
    g_signal_handlers_disconnect_by_data (self->runner, self);
  g_clear_object (&self->runner);
  gtk_widget_dispose_template (GTK_WIDGET (self), ESPY_TYPE_TROUBLESHOOT_PAGE);
  G_OBJECT_CLASS (espy_troubleshoot_page_parent_class)->dispose (object);
}

static void
espy_troubleshoot_page_finalize (GObject *object)
{
  EspyTroubleshootPage *self = ESPY_TROUBLESHOOT_PAGE (object);

  g_clear_object (&self->device);
  g_clear_pointer (&self->attempt, espy_install_attempt_unref);
  g_strfreev (self->log_lines);
  g_clear_object (&self->discovery);
  espy_secret_string_clear (&self->ota_password);
  espy_secret_string_clear (&self->api_key);
  g_clear_pointer (&self->checks, g_ptr_array_unref);
  g_clear_pointer (&self->diagnosis, espy_diagnosis_unref);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->step_rows);
  g_ptr_array_unref (self->check_rows);
  g_ptr_array_unref (self->timeline_rows);
  G_OBJECT_CLASS (espy_troubleshoot_page_parent_class)->finalize (object);
}

static void
espy_troubleshoot_page_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  EspyTroubleshootPage *self = ESPY_TROUBLESHOOT_PAGE (object);

  switch (prop_id)
    {
    case PROP_DEVICE:
      g_value_set_object (value, self->device);
      break;
    case PROP_ATTEMPT:
      g_value_set_boxed (value, self->attempt);
      break;
    case PROP_DIAGNOSIS:
      g_value_set_boxed (value, self->diagnosis);
      break;
    case PROP_CHECKS_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_troubleshoot_page_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  EspyTroubleshootPage *self = ESPY_TROUBLESHOOT_PAGE (object);

  switch (prop_id)
    {
    case PROP_DEVICE:
      self->device = g_value_dup_object (value);
      break;
    case PROP_ATTEMPT:
      espy_troubleshoot_page_set_attempt (self, g_value_get_boxed (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_troubleshoot_page_constructed (GObject *object)
{
  EspyTroubleshootPage *self = ESPY_TROUBLESHOOT_PAGE (object);

  G_OBJECT_CLASS (espy_troubleshoot_page_parent_class)->constructed (object);
  refresh_attempt (self);
  refresh_checks (self);
  refresh_diagnosis (self);
}

static void
espy_troubleshoot_page_class_init (EspyTroubleshootPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = espy_troubleshoot_page_dispose;
  object_class->finalize = espy_troubleshoot_page_finalize;
  object_class->get_property = espy_troubleshoot_page_get_property;
  object_class->set_property = espy_troubleshoot_page_set_property;
  object_class->constructed = espy_troubleshoot_page_constructed;

  properties[PROP_DEVICE] =
    g_param_spec_object ("device", NULL, NULL, ESPY_TYPE_DEVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ATTEMPT] =
    g_param_spec_boxed ("attempt", NULL, NULL, ESPY_TYPE_INSTALL_ATTEMPT,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DIAGNOSIS] =
    g_param_spec_boxed ("diagnosis", NULL, NULL, ESPY_TYPE_DIAGNOSIS,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHECKS_RUNNING] =
    g_param_spec_boolean ("checks-running", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHECKS_FINISHED] = g_signal_new ("checks-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (ESPY_TYPE_RATE_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-troubleshoot-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, status_icon);
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, explanation_label);
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, steps_group);
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, checks_group);
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, attempt_group);
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, checks_spinner);
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, checks_button);
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, plot_frame);
  gtk_widget_class_bind_template_child (widget_class, EspyTroubleshootPage, rate_plot);

  gtk_widget_class_install_action (widget_class, "page.run-checks", NULL, run_checks_action);
  gtk_widget_class_install_action (widget_class, "page.copy-report", NULL, copy_report_action);
  gtk_widget_class_install_action (widget_class, "page.save-report", NULL, save_report_action);
}

static void
espy_troubleshoot_page_init (EspyTroubleshootPage *self)
{
  self->timeout_ms = ESPY_DEVICE_CHECKS_DEFAULT_TIMEOUT_MS;
  self->cancellable = g_cancellable_new ();
  self->step_rows = g_ptr_array_new ();
  self->check_rows = g_ptr_array_new ();
  self->timeline_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self, "map", G_CALLBACK (map_cb), NULL);
}

GtkWidget *
espy_troubleshoot_page_new (EspyDevice         *device,
                            EspyInstallAttempt *attempt)
{
  return g_object_new (ESPY_TYPE_TROUBLESHOOT_PAGE, "device", device, "attempt", attempt, NULL);
}

/* --- accessors -------------------------------------------------------------- */

EspyDevice *
espy_troubleshoot_page_get_device (EspyTroubleshootPage *self)
{
  g_return_val_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self), NULL);
  return self->device;
}

EspyInstallAttempt *
espy_troubleshoot_page_get_attempt (EspyTroubleshootPage *self)
{
  g_return_val_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self), NULL);
  return self->attempt;
}

void
espy_troubleshoot_page_set_attempt (EspyTroubleshootPage *self,
                                    EspyInstallAttempt   *attempt)
{
  g_return_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self));

  if (self->attempt == attempt)
    return;
  g_clear_pointer (&self->attempt, espy_install_attempt_unref);
  self->attempt = attempt != NULL ? espy_install_attempt_ref (attempt) : NULL;
  refresh_attempt (self);
  refresh_diagnosis (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTEMPT]);
}

void
espy_troubleshoot_page_set_log_lines (EspyTroubleshootPage *self,
                                      const char * const   *log_lines)
{
  g_return_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self));

  g_strfreev (self->log_lines);
  self->log_lines = g_strdupv ((char **) log_lines);
  refresh_diagnosis (self);
}

void
espy_troubleshoot_page_set_discovery (EspyTroubleshootPage *self,
                                      EspyDiscovery        *discovery)
{
  g_return_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self));
  g_set_object (&self->discovery, discovery);
}

void
espy_troubleshoot_page_set_ota_password (EspyTroubleshootPage *self,
                                         const char           *password)
{
  g_return_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self));
  espy_secret_string_set_non_empty (&self->ota_password, password);
}

void
espy_troubleshoot_page_set_api_key (EspyTroubleshootPage *self,
                                    const char           *key)
{
  g_return_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self));
  espy_secret_string_set_non_empty (&self->api_key, key);
}

void
espy_troubleshoot_page_set_check_timeout (EspyTroubleshootPage *self,
                                          guint                 timeout_ms)
{
  g_return_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self));
  self->timeout_ms = timeout_ms;
}

gboolean
espy_troubleshoot_page_get_checks_running (EspyTroubleshootPage *self)
{
  g_return_val_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self), FALSE);
  return self->running;
}

GPtrArray *
espy_troubleshoot_page_get_checks (EspyTroubleshootPage *self)
{
  g_return_val_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self), NULL);
  return self->checks;
}

EspyDiagnosis *
espy_troubleshoot_page_get_diagnosis (EspyTroubleshootPage *self)
{
  g_return_val_if_fail (ESPY_IS_TROUBLESHOOT_PAGE (self), NULL);
  return self->diagnosis;
}
