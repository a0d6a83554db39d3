/* espy-password-wizard.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-password-wizard.h"

#include <string.h>
#include <glib/gi18n.h>

#include "espy-secret-string.h"
#include "espy-secrets.h"

struct _EspyPasswordWizard
{
  AdwWindow           parent_instance;

  EspyDevice         *device;
  EspyDeviceConfig   *config;
  EspyConfigFolder   *folder;
  char               *host;
  guint16             port;
  EspyPasswordChange *change;
  EspyPasswordFlow    flow;
  GCancellable       *cancellable;
  gboolean            checked;
  gboolean            busy;
  gboolean            finished;
  GPtrArray          *run_rows;      /* AdwActionRow per device */
  GPtrArray          *run_bars;      /* GtkProgressBar per device */

  /* Template widgets */
  AdwWindowTitle     *window_title;
  GtkWidget          *back_button;
  GtkWidget          *cancel_button;
  GtkWidget          *next_button;
  AdwLeaflet         *leaflet;
  GtkCheckButton     *change_check;
  GtkCheckButton     *add_check;
  GtkCheckButton     *remove_check;
  GtkCheckButton     *apply_check;
  GtkCheckButton     *recover_check;
  GtkLabel           *flow_error;
  AdwPreferencesGroup *check_group;
  GtkWidget          *current_entry;
  AdwActionRow       *check_row;
  GtkImage           *check_icon;
  GtkWidget          *check_button;
  GtkLabel           *check_error;
  GtkWidget          *new_entry;
  GtkWidget          *confirm_entry;
  GtkLevelBar        *strength_bar;
  AdwActionRow       *strength_row;
  GtkLabel           *password_error;
  GtkWidget          *shared_group;
  GtkCheckButton     *rotate_check;
  GtkCheckButton     *own_check;
  GtkListBox         *devices_list;
  GtkTextView        *diff_view;
  GtkToggleButton    *reveal_button;
  GtkLabel           *review_error;
  GtkListBox         *run_list;
  AdwStatusPage      *result_status;
  GtkListBox         *result_list;
  GtkWidget          *show_passwords_button;
  GtkLabel           *passwords_label;
};

G_DEFINE_FINAL_TYPE (EspyPasswordWizard, espy_password_wizard, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_DEVICE,
  PROP_CONFIG,
  PROP_CONFIG_FOLDER,
  PROP_PAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- helpers ------------------------------------------------------------ */

static const char *
page (EspyPasswordWizard *self)
{
  return adw_leaflet_get_visible_child_name (self->leaflet);
}

static void
show_error (GtkLabel     *label,
            const GError *error)
{
  gtk_widget_set_visible (GTK_WIDGET (label), error != NULL);
  if (error != NULL)
    gtk_label_set_text (label, error->message);
}

static void
go (EspyPasswordWizard *self,
    const char         *name)
{
  adw_leaflet_set_visible_child_name (self->leaflet, name);
}

static void
list_clear (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static const char *
entry_text (GtkWidget *entry)
{
  return gtk_editable_get_text (GTK_EDITABLE (entry));
}

static gboolean
wants_new_password (EspyPasswordFlow flow)
{
  return flow == ESPY_PASSWORD_FLOW_CHANGE || flow == ESPY_PASSWORD_FLOW_ADD
         || flow == ESPY_PASSWORD_FLOW_RECOVER;
}

static gboolean
has_check_page (EspyPasswordFlow flow)
{
  return flow != ESPY_PASSWORD_FLOW_RECOVER;
}

static EspyPasswordFlow
selected_flow (EspyPasswordWizard *self)
{
  if (gtk_check_button_get_active (self->add_check))
    return ESPY_PASSWORD_FLOW_ADD;
  if (gtk_check_button_get_active (self->remove_check))
    return ESPY_PASSWORD_FLOW_REMOVE;
  if (gtk_check_button_get_active (self->apply_check))
    return ESPY_PASSWORD_FLOW_APPLY;
  if (gtk_check_button_get_active (self->recover_check))
    return ESPY_PASSWORD_FLOW_RECOVER;
  return ESPY_PASSWORD_FLOW_CHANGE;
}

static const char *
previous_page (EspyPasswordWizard *self)
{
  const char *current = page (self);

  if (g_strcmp0 (current, "check") == 0)
    return "flow";
  if (g_strcmp0 (current, "password") == 0)
    return has_check_page (self->flow) ? "check" : "flow";
  if (g_strcmp0 (current, "review") == 0)
    return wants_new_password (self->flow) ? "password" : "check";
  return NULL;
}

/* What Next does and whether it can: per page. */
static void
update_buttons (EspyPasswordWizard *self)
{
  const char *current = page (self);
  const char *label = _("_Next");
  gboolean can_next = !self->busy;

  if (g_strcmp0 (current, "flow") == 0)
    can_next &= self->config != NULL;
  else if (g_strcmp0 (current, "check") == 0)
    can_next &= self->checked;
  else if (g_strcmp0 (current, "password") == 0)
    {
      const char *a = entry_text (self->new_entry);
      const char *b = entry_text (self->confirm_entry);

      can_next &= g_strcmp0 (a, b) == 0 && (a[0] != '\0' || self->flow == ESPY_PASSWORD_FLOW_RECOVER);
    }
  else if (g_strcmp0 (current, "review") == 0)
    {
      g_auto(GStrv) shared = self->change != NULL ? espy_password_change_get_shared_devices (self->change) : NULL;

      label = self->flow == ESPY_PASSWORD_FLOW_REMOVE ? _("_Remove Password")
              : self->flow == ESPY_PASSWORD_FLOW_ADD ? _("_Add Password")
              : _("_Change Password");
      can_next &= self->change != NULL
                  && (shared == NULL || shared[0] == NULL
                      || espy_password_change_get_shared (self->change) != ESPY_PASSWORD_SHARED_ASK);
    }
  else if (g_strcmp0 (current, "run") == 0)
    can_next = FALSE;
  else if (g_strcmp0 (current, "result") == 0)
    label = _("_Close");

  gtk_button_set_label (GTK_BUTTON (self->next_button), label);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.next", can_next);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.back", !self->busy && previous_page (self) != NULL);
  gtk_widget_set_visible (self->back_button, previous_page (self) != NULL);
  gtk_widget_set_visible (self->cancel_button, g_strcmp0 (current, "result") != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "wizard.check", !self->busy);
}

static void
page_changed_cb (EspyPasswordWizard *self)
{
  update_buttons (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE]);
}

static void
set_busy (EspyPasswordWizard *self,
          gboolean            busy)
{
  self->busy = busy;
  update_buttons (self);
}

/* A fresh flow object for what the pages say now. */
static void
make_change (EspyPasswordWizard *self)
{
  const char *current = entry_text (self->current_entry);

  g_clear_object (&self->change);
  self->change = espy_password_change_new (self->config, self->flow);
  espy_password_change_set_host (self->change, self->host);
  espy_password_change_set_port (self->change, self->port);
  if (self->folder != NULL)
    espy_password_change_set_folder (self->change, self->folder);
  if (current[0] != '\0' || self->flow == ESPY_PASSWORD_FLOW_APPLY)
    espy_password_change_set_current_password (self->change, current);
  if (wants_new_password (self->flow))
    espy_password_change_set_new_password (self->change, entry_text (self->new_entry));
}

/* ---- page 1: flow --------------------------------------------------------- */

static void
flow_toggled_cb (EspyPasswordWizard *self)
{
  self->flow = selected_flow (self);
  self->checked = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->flow_error), FALSE);
  update_buttons (self);
}

static void
prepare_check_page (EspyPasswordWizard *self)
{
  gboolean needs_current = self->flow == ESPY_PASSWORD_FLOW_APPLY;
  gboolean may_enter = self->flow == ESPY_PASSWORD_FLOW_CHANGE || self->flow == ESPY_PASSWORD_FLOW_REMOVE;

  gtk_widget_set_visible (self->current_entry, needs_current || may_enter);
  if (needs_current)
    adw_preferences_group_set_description (self->check_group,
                                           _("Enter the password the device was last installed with. Espy "
                                             "checks it with the device before changing anything."));
  else if (self->flow == ESPY_PASSWORD_FLOW_ADD)
    adw_preferences_group_set_description (self->check_group,
                                           _("Espy checks that the device has no password yet."));
  else
    adw_preferences_group_set_description (self->check_group,
                                           _("Espy checks the password from your configuration with the device. "
                                             "If the device has another one, enter it here."));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->check_row), _("Not checked yet"));
  gtk_image_set_from_icon_name (self->check_icon, "dialog-question-symbolic");
  show_error (self->check_error, NULL);
}

/* ---- page 2: check ---------------------------------------------------------- */

static void
check_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EspyPasswordWizard) self = user_data;
  g_autoptr(GError) error = NULL;

  self->checked = espy_password_change_check_finish (ESPY_PASSWORD_CHANGE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->check_row),
                                 self->checked ? (self->flow == ESPY_PASSWORD_FLOW_ADD
                                                  ? _("The device has no password")
                                                  : _("The device accepts this password"))
                                               : _("Check failed"));
  gtk_image_set_from_icon_name (self->check_icon, self->checked ? "emblem-ok-symbolic" : "dialog-error-symbolic");
  show_error (self->check_error, error);
  set_busy (self, FALSE);
}

static void
check_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  EspyPasswordWizard *self = ESPY_PASSWORD_WIZARD (widget);

  make_change (self);
  set_busy (self, TRUE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->check_row), _("Checking…"));
  show_error (self->check_error, NULL);
  espy_password_change_check_async (self->change, self->cancellable, check_done, g_object_ref (self));
}

static void
entries_changed_cb (EspyPasswordWizard *self)
{
  const char *a = entry_text (self->new_entry);
  const char *b = entry_text (self->confirm_entry);
  guint strength = espy_password_strength (a);
  const char *names[] = { N_("Empty"), N_("Weak"), N_("Fair"), N_("Good"), N_("Strong") };

  if (g_strcmp0 (page (self), "check") == 0)
    self->checked = FALSE;
  gtk_level_bar_set_value (self->strength_bar, strength);
  adw_action_row_set_subtitle (self->strength_row, _(names[MIN (strength, 4)]));
  if (b[0] != '\0' && g_strcmp0 (a, b) != 0)
    {
      gtk_label_set_text (self->password_error, _("The two passwords differ."));
      gtk_widget_set_visible (GTK_WIDGET (self->password_error), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->password_error), FALSE);
  update_buttons (self);
}

static void
generate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  EspyPasswordWizard *self = ESPY_PASSWORD_WIZARD (widget);
  char *password = espy_password_generate ();

  gtk_editable_set_text (GTK_EDITABLE (self->new_entry), password);
  gtk_editable_set_text (GTK_EDITABLE (self->confirm_entry), password);
  espy_secret_free (password);
}

/* ---- page 4: review ---------------------------------------------------------- */

static void
fill_diff (EspyPasswordWizard *self)
{
  g_autofree char *diff = NULL;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->diff_view);

  if (self->change == NULL)
    return;
  diff = espy_password_change_get_diff (self->change, !gtk_toggle_button_get_active (self->reveal_button));
  if (diff[0] == '\0')
    {
      g_free (diff);
      diff = g_strdup (_("No file changes: the configuration already has the password to install."));
    }
  gtk_text_buffer_set_text (buffer, diff, -1);
}

static void
reveal_toggled_cb (EspyPasswordWizard *self)
{
  fill_diff (self);
}

static void
fill_review (EspyPasswordWizard *self)
{
  g_auto(GStrv) shared = espy_password_change_get_shared_devices (self->change);
  guint n = espy_password_change_get_n_devices (self->change);

  fill_diff (self);
  gtk_widget_set_visible (self->shared_group, shared[0] != NULL);
  if (shared[0] != NULL)
    {
      g_autofree char *names = g_strjoinv (", ", shared);
      g_autofree char *text = g_strdup_printf (_("The same password is used by %s."), names);

      adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->shared_group), text);
    }
  list_clear (self->devices_list);
  for (guint i = 0; i < n; i++)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), espy_password_change_get_device_name (self->change, i));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), espy_password_change_get_device_config_path (self->change, i));
      gtk_list_box_append (self->devices_list, row);
    }
  update_buttons (self);
}

static void
prepare_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(EspyPasswordWizard) self = user_data;
  g_autoptr(GError) error = NULL;

  set_busy (self, FALSE);
  if (!espy_password_change_prepare_finish (ESPY_PASSWORD_CHANGE (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* The error stays on the page where the user can act on it. */
      if (g_strcmp0 (page (self), "review") == 0)
        show_error (self->review_error, error);
      else if (g_strcmp0 (page (self), "password") == 0)
        {
          gtk_label_set_text (self->password_error, error->message);
          gtk_widget_set_visible (GTK_WIDGET (self->password_error), TRUE);
        }
      else if (g_strcmp0 (page (self), "check") == 0)
        show_error (self->check_error, error);
      else
        show_error (self->flow_error, error);
      return;
    }
  show_error (self->review_error, NULL);
  go (self, "review");
  fill_review (self);
}

static void
start_prepare (EspyPasswordWizard *self)
{
  set_busy (self, TRUE);
  espy_password_change_prepare_async (self->change, self->cancellable, prepare_done, g_object_ref (self));
}

static void
shared_toggled_cb (EspyPasswordWizard *self)
{
  EspyPasswordShared shared;

  if (self->change == NULL || espy_password_change_get_running (self->change))
    return;
  if (gtk_check_button_get_active (self->rotate_check))
    shared = ESPY_PASSWORD_SHARED_ROTATE_ALL;
  else if (gtk_check_button_get_active (self->own_check))
    shared = ESPY_PASSWORD_SHARED_OWN_SECRET;
  else
    return;
  if (shared == espy_password_change_get_shared (self->change))
    return;
  espy_password_change_set_shared (self->change, shared);
  /* The plan differs (other files, other devices): prepare again. */
  start_prepare (self);
}

/* ---- page 5: run; page 6: result --------------------------------------------- */

static void
progress_cb (EspyPasswordChange *change,
             guint               index,
             int                 step,
             const char         *text,
             EspyPasswordWizard *self)
{
  GtkWidget *bar;

  if (index >= self->run_rows->len)
    return;
  adw_action_row_set_subtitle (g_ptr_array_index (self->run_rows, index), text);
  bar = g_ptr_array_index (self->run_bars, index);
  if (step == ESPY_PASSWORD_STEP_UPLOAD)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (bar), 0.0);
  else if (step == ESPY_PASSWORD_STEP_DONE || step == ESPY_PASSWORD_STEP_VERIFY)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (bar), 1.0);
  else if (step != ESPY_PASSWORD_STEP_REBOOT && step != ESPY_PASSWORD_STEP_STORE)
    gtk_progress_bar_pulse (GTK_PROGRESS_BAR (bar));
}

static void
upload_progress_cb (EspyPasswordChange *change,
                    guint               index,
                    double              fraction,
                    EspyPasswordWizard *self)
{
  if (index < self->run_bars->len)
    gtk_progress_bar_set_fraction (g_ptr_array_index (self->run_bars, index), fraction);
}

static void
fill_result (EspyPasswordWizard *self,
             const GError       *error)
{
  guint n = espy_password_change_get_n_devices (self->change);
  gboolean any_unsure = FALSE;
  const GError *keyring = espy_password_change_get_keyring_error (self->change);

  list_clear (self->result_list);
  for (guint i = 0; i < n; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon;
      const GError *device_error = espy_password_change_get_device_error (self->change, i);
      gboolean new_accepted = FALSE;
      gboolean old_refused = FALSE;
      gboolean verified = espy_password_change_get_device_verified (self->change, i, &new_accepted, &old_refused);
      EspyPasswordExpects expects = espy_password_change_get_device_expects (self->change, i);
      g_autofree char *subtitle = NULL;

      if (verified && old_refused)
        subtitle = g_strdup (_("Verified: the new password is accepted and the old one refused."));
      else if (verified && self->flow == ESPY_PASSWORD_FLOW_REMOVE)
        subtitle = g_strdup (_("Verified: the device installs without a password."));
      else if (verified)
        subtitle = g_strdup (_("Verified: the new password is accepted."));
      else if (device_error != NULL)
        subtitle = g_strdup (device_error->message);
      else
        subtitle = g_strdup (_("Not reached."));
      if (!verified && expects != ESPY_PASSWORD_EXPECTS_OLD)
        any_unsure = TRUE;
      if (!verified && n > 1)
        any_unsure = TRUE;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), espy_password_change_get_device_name (self->change, i));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      icon = gtk_image_new_from_icon_name (verified ? "emblem-ok-symbolic"
                                           : expects == ESPY_PASSWORD_EXPECTS_OLD ? "edit-undo-symbolic"
                                           : "dialog-warning-symbolic");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      gtk_list_box_append (self->result_list, row);
    }

  if (error == NULL)
    {
      adw_status_page_set_icon_name (self->result_status, "emblem-ok-symbolic");
      adw_status_page_set_title (self->result_status,
                                 self->flow == ESPY_PASSWORD_FLOW_REMOVE ? _("Password Removed")
                                 : self->flow == ESPY_PASSWORD_FLOW_ADD ? _("Password Added")
                                 : _("Password Changed"));
      adw_status_page_set_description (self->result_status,
                                       keyring != NULL ? keyring->message
                                       : _("The device runs the new firmware and answers with the new password. "
                                           "It is saved in your configuration and your keyring."));
    }
  else
    {
      adw_status_page_set_icon_name (self->result_status,
                                     espy_password_change_get_rolled_back (self->change) ? "edit-undo-symbolic"
                                                                                         : "dialog-warning-symbolic");
      adw_status_page_set_title (self->result_status,
                                 espy_password_change_get_rolled_back (self->change)
                                 ? _("Nothing Was Changed") : _("Check the Devices"));
      adw_status_page_set_description (self->result_status, error->message);
    }
  gtk_widget_set_visible (self->show_passwords_button, error != NULL && any_unsure);
  gtk_widget_set_visible (GTK_WIDGET (self->passwords_label), FALSE);
}

static void
run_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EspyPasswordWizard) self = user_data;
  g_autoptr(GError) error = NULL;

  espy_password_change_run_finish (ESPY_PASSWORD_CHANGE (source), result, &error);
  g_signal_handlers_disconnect_by_data (source, self);
  self->finished = TRUE;
  if (gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  set_busy (self, FALSE);
  fill_result (self, error);
  go (self, "result");
}

static void
start_run (EspyPasswordWizard *self)
{
  guint n = espy_password_change_get_n_devices (self->change);

  list_clear (self->run_list);
  g_ptr_array_set_size (self->run_rows, 0);
  g_ptr_array_set_size (self->run_bars, 0);
  for (guint i = 0; i < n; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *bar = gtk_progress_bar_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), espy_password_change_get_device_name (self->change, i));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), espy_password_step_describe (ESPY_PASSWORD_STEP_PENDING));
      gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
      gtk_widget_set_size_request (bar, 120, -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), bar);
      gtk_list_box_append (self->run_list, row);
      g_ptr_array_add (self->run_rows, row);
      g_ptr_array_add (self->run_bars, bar);
    }
  g_signal_connect (self->change, "progress", G_CALLBACK (progress_cb), self);
  g_signal_connect (self->change, "upload-progress", G_CALLBACK (upload_progress_cb), self);
  go (self, "run");
  set_busy (self, TRUE);
  espy_password_change_run_async (self->change, self->cancellable, run_done, g_object_ref (self));
}

/* ---- actions -------------------------------------------------------------- */

static void
next_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  EspyPasswordWizard *self = ESPY_PASSWORD_WIZARD (widget);
  const char *current = page (self);

  if (g_strcmp0 (current, "flow") == 0)
    {
      self->flow = selected_flow (self);
      if (has_check_page (self->flow))
        {
          prepare_check_page (self);
          self->checked = FALSE;
          go (self, "check");
        }
      else
        go (self, "password");
    }
  else if (g_strcmp0 (current, "check") == 0)
    {
      if (wants_new_password (self->flow))
        go (self, "password");
      else
        {
          make_change (self);
          start_prepare (self);
        }
    }
  else if (g_strcmp0 (current, "password") == 0)
    {
      make_change (self);
      start_prepare (self);
    }
  else if (g_strcmp0 (current, "review") == 0)
    start_run (self);
  else if (g_strcmp0 (current, "result") == 0)
    gtk_window_close (GTK_WINDOW (self));
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  EspyPasswordWizard *self = ESPY_PASSWORD_WIZARD (widget);
  const char *previous = previous_page (self);

  if (previous != NULL)
    go (self, previous);
}

static void
show_passwords_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  EspyPasswordWizard *self = ESPY_PASSWORD_WIZARD (widget);
  char *old_pw = NULL;
  char *new_pw = NULL;
  g_autofree char *text = NULL;

  /* Shown on request only, never logged: the user must be able to reach a
   * device whose verification failed. */
  espy_password_change_dup_passwords (self->change, &old_pw, &new_pw);
  text = g_strdup_printf (_("Old password: %s\nNew password: %s"),
                          old_pw != NULL ? old_pw : _("(none)"), new_pw != NULL ? new_pw : _("(none)"));
  gtk_label_set_text (self->passwords_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->passwords_label), TRUE);
  espy_secret_free (old_pw);
  espy_secret_free (new_pw);
  espy_secret_string_clear (&text);
}

/* ---- loading the config of a device ------------------------------------------ */

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  g_autoptr(GFile) file = g_file_new_for_path (task_data);
  GError *error = NULL;
  EspyDeviceConfig *config = espy_device_config_new_for_file (file, cancellable, &error);

  if (config == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, config, g_object_unref);
}

static void
select_default_flow (EspyPasswordWizard *self)
{
  const EspyConfigOta *ota = self->config != NULL ? espy_device_config_find_ota (self->config, "esphome") : NULL;
  gboolean has_password = ota != NULL && ota->password != NULL && ota->password[0] != '\0';

  gtk_check_button_set_active (has_password ? self->change_check : self->add_check, TRUE);
  gtk_widget_set_sensitive (gtk_widget_get_ancestor (GTK_WIDGET (self->add_check), ADW_TYPE_ACTION_ROW), !has_password);
  gtk_widget_set_sensitive (gtk_widget_get_ancestor (GTK_WIDGET (self->change_check), ADW_TYPE_ACTION_ROW), has_password);
  gtk_widget_set_sensitive (gtk_widget_get_ancestor (GTK_WIDGET (self->remove_check), ADW_TYPE_ACTION_ROW), has_password);
  adw_window_title_set_subtitle (self->window_title,
                                 self->config != NULL ? espy_device_config_get_name (self->config) : NULL);
  flow_toggled_cb (self);
}

static void
load_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EspyPasswordWizard) self = user_data;
  g_autoptr(GError) error = NULL;
  EspyDeviceConfig *config = g_task_propagate_pointer (G_TASK (result), &error);

  if (config == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_prefix_error (&error, _("The device's configuration cannot be read, and Espy needs it to build the "
                                    "firmware: "));
          show_error (self->flow_error, error);
        }
      return;
    }
  self->config = config;
  select_default_flow (self);
}

/* ---- GObject ------------------------------------------------------------- */

static gboolean
close_request_cb (EspyPasswordWizard *self)
{
  /* Closing mid-run cancels: the flow restores what it had not committed. */
  g_cancellable_cancel (self->cancellable);
  return FALSE;
}

static void
espy_password_wizard_constructed (GObject *object)
{
  EspyPasswordWizard *self = (EspyPasswordWizard *) object;

  G_OBJECT_CLASS (espy_password_wizard_parent_class)->constructed (object);

  if (self->device != NULL)
    {
      if (self->host == NULL && espy_device_get_address (self->device) != NULL)
        self->host = g_strdup (espy_device_get_address (self->device));
      if (self->port == 0)
        self->port = espy_device_get_ota_port (self->device);
    }
  if (self->config != NULL)
    select_default_flow (self);
  else if (self->device != NULL && espy_device_get_config_path (self->device) != NULL)
    {
      g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, load_done, g_object_ref (self));

      g_task_set_task_data (task, g_strdup (espy_device_get_config_path (self->device)), g_free);
      g_task_run_in_thread (task, load_thread);
    }
  else
    {
      g_autoptr(GError) error = g_error_new_literal (ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NO_OTA,
                                                     _("This device has no configuration in your ESPHome folder. "
                                                       "Espy builds the new firmware from it: open the folder "
                                                       "that holds the device's YAML in the preferences."));

      show_error (self->flow_error, error);
    }
  update_buttons (self);
}

static void
espy_password_wizard_dispose (GObject *object)
{
  EspyPasswordWizard *self = (EspyPasswordWizard *) object;

  g_cancellable_cancel (self->cancellable);
  if (self->change != NULL)
    g_signal_handlers_disconnect_by_data (self->change, self);
  gtk_widget_dispose_template (GTK_WIDGET (object), ESPY_TYPE_PASSWORD_WIZARD);
  G_OBJECT_CLASS (espy_password_wizard_parent_class)->dispose (object);
}

static void
espy_password_wizard_finalize (GObject *object)
{
  EspyPasswordWizard *self = (EspyPasswordWizard *) object;

  g_clear_object (&self->device);
  g_clear_object (&self->config);
  g_clear_object (&self->folder);
  g_clear_object (&self->change);
  g_clear_object (&self->cancellable);
  g_free (self->host);
  g_ptr_array_unref (self->run_rows);
  g_ptr_array_unref (self->run_bars);
  G_OBJECT_CLASS (espy_password_wizard_parent_class)->finalize (object);
}

static void
espy_password_wizard_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  EspyPasswordWizard *self = ESPY_PASSWORD_WIZARD (object);

  switch (prop_id)
    {
    case PROP_DEVICE:
      g_value_set_object (value, self->device);
      break;
    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;
    case PROP_CONFIG_FOLDER:
      g_value_set_object (value, self->folder);
      break;
    case PROP_PAGE:
      g_value_set_string (value, page (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_password_wizard_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  EspyPasswordWizard *self = ESPY_PASSWORD_WIZARD (object);

  switch (prop_id)
    {
    case PROP_DEVICE:
      self->device = g_value_dup_object (value);
      break;
    case PROP_CONFIG:
      self->config = g_value_dup_object (value);
      break;
    case PROP_CONFIG_FOLDER:
      g_set_object (&self->folder, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_password_wizard_class_init (EspyPasswordWizardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = espy_password_wizard_constructed;
  object_class->dispose = espy_password_wizard_dispose;
  object_class->finalize = espy_password_wizard_finalize;
  object_class->get_property = espy_password_wizard_get_property;
  object_class->set_property = espy_password_wizard_set_property;

  properties[PROP_DEVICE] =
    g_param_spec_object ("device", NULL, NULL, ESPY_TYPE_DEVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL, ESPY_TYPE_DEVICE_CONFIG,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONFIG_FOLDER] =
    g_param_spec_object ("config-folder", NULL, NULL, ESPY_TYPE_CONFIG_FOLDER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAGE] =
    g_param_spec_string ("page", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-password-wizard.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, window_title);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, back_button);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, next_button);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, leaflet);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, change_check);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, add_check);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, remove_check);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, apply_check);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, recover_check);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, flow_error);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, check_group);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, current_entry);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, check_row);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, check_icon);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, check_button);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, check_error);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, new_entry);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, confirm_entry);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, strength_bar);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, strength_row);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, password_error);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, shared_group);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, rotate_check);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, own_check);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, devices_list);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, diff_view);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, reveal_button);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, review_error);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, run_list);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, result_status);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, result_list);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, show_passwords_button);
  gtk_widget_class_bind_template_child (widget_class, EspyPasswordWizard, passwords_label);
  gtk_widget_class_bind_template_callback (widget_class, page_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, flow_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, entries_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, shared_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, reveal_toggled_cb);

  gtk_widget_class_install_action (widget_class, "wizard.next", NULL, next_action);
  gtk_widget_class_install_action (widget_class, "wizard.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "wizard.check", NULL, check_action);
  gtk_widget_class_install_action (widget_class, "wizard.generate", NULL, generate_action);
  gtk_widget_class_install_action (widget_class, "wizard.show-passwords", NULL, show_passwords_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
espy_password_wizard_init (EspyPasswordWizard *self)
{
  self->cancellable = g_cancellable_new ();
  self->run_rows = g_ptr_array_new ();
  self->run_bars = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self, "close-request", G_CALLBACK (close_request_cb), NULL);
}

GtkWindow *
espy_password_wizard_new (GtkWindow  *parent,
                          EspyDevice *device)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  return g_object_new (ESPY_TYPE_PASSWORD_WIZARD, "transient-for", parent, "device", device, NULL);
}

EspyPasswordWizard *
espy_password_wizard_new_for_config (GtkWindow        *parent,
                                     EspyDeviceConfig *config,
                                     const char       *host,
                                     guint16           port)
{
  EspyPasswordWizard *self;

  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (config), NULL);

  /* Host and port are read in constructed(): set them through a device-less
   * construction, then apply. */
  self = g_object_new (ESPY_TYPE_PASSWORD_WIZARD, "transient-for", parent, "config", config, NULL);
  self->host = g_strdup (host);
  self->port = port;
  return self;
}

void
espy_password_wizard_set_config_folder (EspyPasswordWizard *self,
                                        EspyConfigFolder   *folder)
{
  g_return_if_fail (ESPY_IS_PASSWORD_WIZARD (self));
  g_object_set (self, "config-folder", folder, NULL);
}

const char *
espy_password_wizard_get_page (EspyPasswordWizard *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_WIZARD (self), NULL);
  return page (self);
}

EspyPasswordChange *
espy_password_wizard_get_change (EspyPasswordWizard *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_WIZARD (self), NULL);
  return self->change;
}
