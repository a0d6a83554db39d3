/* espy-install-dialog.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "espy-application.h"
#include "espy-install-dialog.h"
#include "espy-secret-string.h"
#include "espy-secrets.h"

/* The steps the progress page lists, one per active job state. */
static const EspyInstallState step_states[] = {
  ESPY_INSTALL_STATE_PREPARING,
  ESPY_INSTALL_STATE_CONNECTING,
  ESPY_INSTALL_STATE_UPLOADING,
  ESPY_INSTALL_STATE_REBOOTING,
  ESPY_INSTALL_STATE_VERIFYING,
};
#define N_STEPS G_N_ELEMENTS (step_states)

struct _EspyInstallDialog
{
  AdwWindow             parent_instance;

  EspyDevice           *device;
  EspyInstallManager   *manager;
  EspyConfigFolder     *config_folder;
  EspyInstallJob       *job;
  EspyInstallState      last_active_state;  /* the step a cancel stopped */

  GFile                *file;
  EspyFirmwareImage    *image;
  GCancellable         *load_cancellable;
  GtkFileChooserNative *chooser;
  char                 *known_password;     /* never shown */
  char                 *known_password_source;
  gboolean              can_install;
  gboolean              web_known;          /* the YAML or the keyring has them */
  char                 *web_known_source;
  GCancellable         *web_lookup;

  /* Template widgets */
  AdwHeaderBar         *header_bar;
  AdwWindowTitle       *window_title;
  GtkWidget            *cancel_button;
  GtkWidget            *install_button;
  GtkStack             *stack;
  AdwActionRow         *file_row;
  GtkWidget            *file_status_icon;
  GtkCheckButton       *file_check;
  AdwActionRow         *build_row;
  GtkLabel             *file_error_label;
  AdwActionRow         *ota_row;
  AdwActionRow         *web_row;
  GtkCheckButton       *ota_check;
  GtkCheckButton       *web_check;
  AdwPreferencesGroup  *password_group;
  AdwActionRow         *password_known_row;
  GtkEditable          *password_entry;
  GtkWidget            *keyring_row;
  GtkSwitch            *keyring_switch;
  AdwPreferencesGroup  *web_group;
  AdwActionRow         *web_known_row;
  GtkEditable          *web_user_entry;
  GtkEditable          *web_password_entry;
  GtkWidget            *web_keyring_row;
  GtkSwitch            *web_keyring_switch;
  GtkCheckButton       *build_check;
  GtkExpander          *build_log_expander;
  GtkLabel             *build_log_label;
  EspyDeviceConfig     *config;             /* the device's YAML, or NULL */
  GQueue                build_lines;        /* the last lines of the build, shown */
  GtkLabel             *progress_title;
  GtkLabel             *progress_device;
  GtkProgressBar       *progress_bar;
  GtkLabel             *progress_detail;
  GtkListBox           *steps_list;
  GtkWidget            *cancel_install_button;
  AdwStatusPage        *success_page;
  AdwStatusPage        *failure_page;
  GtkWidget            *retry_button;
  GtkWidget            *troubleshoot_button;

  GtkStack             *step_icons[N_STEPS];
  GtkWidget            *step_labels[N_STEPS];
};

G_DEFINE_FINAL_TYPE (EspyInstallDialog, espy_install_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_DEVICE,
  PROP_INSTALL_MANAGER,
  PROP_CONFIG_FOLDER,
  PROP_JOB,
  PROP_PAGE,
  PROP_CAN_INSTALL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void espy_install_dialog_update_job (EspyInstallDialog *self);

/* --- helpers ------------------------------------------------------------------ */

static const char *
step_label (EspyInstallState state)
{
  switch (state)
    {
    case ESPY_INSTALL_STATE_PREPARING: return _("Check the firmware");
    case ESPY_INSTALL_STATE_CONNECTING: return _("Connect and sign in");
    case ESPY_INSTALL_STATE_UPLOADING: return _("Upload");
    case ESPY_INSTALL_STATE_REBOOTING: return _("Wait for the restart");
    case ESPY_INSTALL_STATE_VERIFYING: return _("Verify the new firmware");
    case ESPY_INSTALL_STATE_PENDING:
    case ESPY_INSTALL_STATE_SUCCEEDED:
    case ESPY_INSTALL_STATE_FAILED:
    case ESPY_INSTALL_STATE_CANCELLED:
    default:
      return "";
    }
}

/* The failure page's title: which step failed, in words. */
static const char *
failure_title (EspyInstallState failed_state)
{
  switch (failed_state)
    {
    case ESPY_INSTALL_STATE_PREPARING: return _("The Firmware Cannot Be Installed");
    case ESPY_INSTALL_STATE_CONNECTING: return _("Could Not Connect to the Device");
    case ESPY_INSTALL_STATE_UPLOADING: return _("Upload Failed");
    case ESPY_INSTALL_STATE_REBOOTING: return _("The Device Did Not Come Back");
    case ESPY_INSTALL_STATE_VERIFYING: return _("The New Firmware Could Not Be Verified");
    case ESPY_INSTALL_STATE_PENDING:
    case ESPY_INSTALL_STATE_SUCCEEDED:
    case ESPY_INSTALL_STATE_FAILED:
    case ESPY_INSTALL_STATE_CANCELLED:
    default:
      return _("Install Failed");
    }
}

static EspyInstallTransport
chosen_transport (EspyInstallDialog *self)
{
  return gtk_check_button_get_active (self->web_check) ? ESPY_INSTALL_TRANSPORT_WEB
                                                       : ESPY_INSTALL_TRANSPORT_OTA;
}

static void
set_page (EspyInstallDialog *self,
          const char        *page)
{
  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
update_can_install (EspyInstallDialog *self)
{
  gboolean can_install;

  can_install = self->manager != NULL
             && ((self->image != NULL && gtk_check_button_get_active (self->file_check))
                 || (self->config != NULL && gtk_check_button_get_active (self->build_check)))
             && espy_install_transport_is_available (chosen_transport (self))
             && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "setup") == 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "install.start", can_install);
  if (self->can_install == can_install)
    return;
  self->can_install = can_install;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_INSTALL]);
}

/* win.troubleshoot on the main window, when it exists yet. */
static gboolean
can_troubleshoot (EspyInstallDialog *self)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  const char *name = NULL;
  const GVariantType *parameter_type = NULL;
  const char *property = NULL;
  GType owner = G_TYPE_INVALID;
  guint i;

  if (parent == NULL)
    return FALSE;
  if (G_IS_ACTION_GROUP (parent) && g_action_group_has_action (G_ACTION_GROUP (parent), "troubleshoot"))
    return TRUE;
  for (i = 0; gtk_widget_class_query_action (GTK_WIDGET_GET_CLASS (parent), i, &owner, &name,
                                                &parameter_type, &property); i++)
    if (g_strcmp0 (name, "win.troubleshoot") == 0)
      return TRUE;
  return FALSE;
}

/* --- source -------------------------------------------------------------------- */

static void
show_file_error (EspyInstallDialog *self,
                 const char        *message)
{
  gtk_label_set_text (self->file_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->file_error_label), message != NULL);
  gtk_widget_set_visible (self->file_status_icon, message != NULL);
}

static void
image_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EspyInstallDialog) self = user_data;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *basename = NULL;

  image = espy_firmware_image_load_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->load_cancellable);

  basename = g_file_get_basename (self->file);
  if (image == NULL)
    {
      adw_action_row_set_subtitle (self->file_row, basename);
      show_file_error (self, error->message);
    }
  else
    {
      g_autofree char *size = g_format_size (espy_firmware_image_get_size (image));
      g_autofree char *subtitle = NULL;

      /* Translators: "firmware.bin — 812.3 kB" */
      subtitle = g_strdup_printf (_("%s — %s"), basename, size);
      adw_action_row_set_subtitle (self->file_row, subtitle);
      show_file_error (self, NULL);
      g_set_object (&self->image, image);
    }
  update_can_install (self);
}

void
espy_install_dialog_set_file (EspyInstallDialog *self,
                              GFile             *file)
{
  g_autofree char *basename = NULL;
  g_autofree char *checking = NULL;

  g_return_if_fail (ESPY_IS_INSTALL_DIALOG (self));
  g_return_if_fail (G_IS_FILE (file));

  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->image);
  g_set_object (&self->file, file);
  show_file_error (self, NULL);
  gtk_check_button_set_active (self->file_check, TRUE);

  basename = g_file_get_basename (file);
  /* Translators: %s is a file name */
  checking = g_strdup_printf (_("Checking %s…"), basename);
  adw_action_row_set_subtitle (self->file_row, checking);
  update_can_install (self);

  /* Nothing is sent before the image passed its checks. */
  self->load_cancellable = g_cancellable_new ();
  espy_firmware_image_load_async (file, self->load_cancellable, image_loaded_cb, g_object_ref (self));
}

static void
chooser_response_cb (EspyInstallDialog    *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        espy_install_dialog_set_file (self, file);
    }
  g_clear_object (&self->chooser);
}

static void
choose_file_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (widget);
  g_autoptr(GtkFileFilter) firmware = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;

  gtk_file_filter_set_name (firmware, _("Firmware Images"));
  gtk_file_filter_add_suffix (firmware, "bin");
  gtk_file_filter_add_suffix (firmware, "uf2");
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");

  self->chooser = gtk_file_chooser_native_new (_("Choose Firmware"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), firmware);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
  gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (self->chooser), firmware);
  if (self->file != NULL)
    {
      g_autoptr(GFile) parent = g_file_get_parent (self->file);

      if (parent != NULL)
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), parent, NULL);
    }
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* --- transport and password ---------------------------------------------------- */

/* Web server credentials: asked for only when the web server is the
 * transport and neither the YAML nor the keyring has them (the job looks
 * them up itself in that order; the dialog only learns whether it will). */
static void
update_web_rows (EspyInstallDialog *self)
{
  gboolean web = gtk_check_button_get_active (self->web_check);

  gtk_widget_set_visible (GTK_WIDGET (self->web_group), web);
  /* The OTA password means nothing to the web server. */
  gtk_widget_set_visible (GTK_WIDGET (self->password_group), !web);
  gtk_widget_set_visible (GTK_WIDGET (self->web_known_row), self->web_known);
  gtk_widget_set_visible (GTK_WIDGET (self->web_user_entry), !self->web_known);
  gtk_widget_set_visible (GTK_WIDGET (self->web_password_entry), !self->web_known);
  gtk_widget_set_visible (self->web_keyring_row, !self->web_known);
  adw_action_row_set_subtitle (self->web_known_row, self->web_known_source != NULL ? self->web_known_source : "");
  adw_preferences_group_set_description (self->web_group,
                                         self->web_known ? NULL
                                                         : _("Leave them empty when the web server has no password."));
}

static void
set_web_known (EspyInstallDialog *self,
               const char        *source)
{
  self->web_known = source != NULL;
  g_free (self->web_known_source);
  self->web_known_source = g_strdup (source);
  update_web_rows (self);
}

static void
web_lookup_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(EspyInstallDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  char *user = espy_secrets_lookup_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->web_lookup);
  /* No keyring (or a locked one) is no answer: ask. */
  if (user != NULL && !self->web_known)
    set_web_known (self, _("From the keyring"));
  espy_secret_free (user);
}

static void
lookup_web_credentials (EspyInstallDialog *self)
{
  if (espy_secrets_from_config (self->config, ESPY_SECRET_KIND_WEB_USER) != NULL)
    {
      g_autofree char *source = NULL;

      /* Translators: %s is a file name such as kitchen.yaml */
      source = g_strdup_printf (_("From %s"), espy_device_config_get_file_name (self->config));
      set_web_known (self, source);
      return;
    }
  g_cancellable_cancel (self->web_lookup);
  g_clear_object (&self->web_lookup);
  self->web_lookup = g_cancellable_new ();
  espy_secrets_lookup_async (espy_device_get_name (self->device), ESPY_SECRET_KIND_WEB_USER,
                             self->web_lookup, web_lookup_cb, g_object_ref (self));
}

static void
transport_toggled_cb (EspyInstallDialog *self)
{
  update_web_rows (self);
  update_can_install (self);
}

static void
update_transport_rows (EspyInstallDialog *self)
{
  g_autofree char *ota = NULL;
  g_autofree char *web = NULL;
  guint16 web_port = espy_device_get_web_port (self->device);

  /* Translators: %u is a TCP port number */
  ota = g_strdup_printf (_("ESPHome’s native OTA, port %u"), (guint) espy_device_get_ota_port (self->device));
  adw_action_row_set_subtitle (self->ota_row, ota);

  if (!espy_install_transport_is_available (ESPY_INSTALL_TRANSPORT_WEB))
    {
      adw_action_row_set_subtitle (self->web_row, _("Coming soon"));
      gtk_widget_set_sensitive (GTK_WIDGET (self->web_row), FALSE);
      gtk_check_button_set_active (self->ota_check, TRUE);
      return;
    }
  if (web_port == 0)
    adw_action_row_set_subtitle (self->web_row, _("No web server is known on this device"));
  else
    {
      /* Translators: %u is a TCP port number */
      web = g_strdup_printf (_("The device’s /update page, port %u"), (guint) web_port);
      adw_action_row_set_subtitle (self->web_row, web);
    }
}

static void
update_password_rows (EspyInstallDialog *self)
{
  gboolean known = self->known_password != NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->password_known_row), known);
  gtk_widget_set_visible (GTK_WIDGET (self->password_entry), !known);
  gtk_widget_set_visible (self->keyring_row, !known);
  adw_action_row_set_subtitle (self->password_known_row,
                               self->known_password_source != NULL ? self->known_password_source : "");
  adw_preferences_group_set_description (self->password_group,
                                         known ? NULL
                                               : _("Leave it empty when the device has no OTA password."));
}

static void
set_known_password (EspyInstallDialog *self,
                    const char        *password,
                    const char        *source)
{
  espy_secret_string_set_non_empty (&self->known_password, password);
  g_clear_pointer (&self->known_password_source, g_free);
  if (self->known_password != NULL)
    self->known_password_source = g_strdup (source);
  update_password_rows (self);
}

void
espy_install_dialog_set_password (EspyInstallDialog *self,
                                  const char        *password)
{
  g_return_if_fail (ESPY_IS_INSTALL_DIALOG (self));

  /* A password from the configuration says so; keep that origin. */
  if (self->known_password != NULL && g_strcmp0 (self->known_password, password) == 0)
    return;
  set_known_password (self, password, _("Known to Espy"));
}

void
espy_install_dialog_set_transport (EspyInstallDialog    *self,
                                   EspyInstallTransport  transport)
{
  g_return_if_fail (ESPY_IS_INSTALL_DIALOG (self));

  if (transport == ESPY_INSTALL_TRANSPORT_WEB && espy_install_transport_is_available (transport))
    gtk_check_button_set_active (self->web_check, TRUE);
  else
    gtk_check_button_set_active (self->ota_check, TRUE);
  update_can_install (self);
}

/* The configuration folder's YAML for the device: its OTA password. */
static void
read_config (EspyInstallDialog *self)
{
  EspyDeviceConfig *config;
  const EspyConfigOta *ota;
  g_autofree char *source = NULL;

  if (self->config_folder == NULL || self->device == NULL)
    return;
  config = espy_config_folder_lookup_name (self->config_folder, espy_device_get_name (self->device));
  g_set_object (&self->config, config);
  gtk_widget_set_sensitive (GTK_WIDGET (self->build_row), config != NULL);
  if (config == NULL)
    return;
  {
    g_autofree char *subtitle = g_strdup_printf (_("Run ESPHome on %s, then install what it builds"),
                                                 espy_device_config_get_file_name (config));

    adw_action_row_set_subtitle (self->build_row, subtitle);
    /* Nothing chosen yet: building is what "Install" means then. */
    if (self->image == NULL)
      gtk_check_button_set_active (self->build_check, TRUE);
    update_can_install (self);
  }
  ota = espy_device_config_find_ota (config, "esphome");
  if (ota == NULL || ota->password == NULL || *ota->password == '\0')
    return;
  /* Translators: %s is a file name such as kitchen.yaml */
  source = g_strdup_printf (_("From %s"), espy_device_config_get_file_name (config));
  set_known_password (self, ota->password, source);
}

/* --- progress ------------------------------------------------------------------ */

static GtkWidget *
make_step_row (EspyInstallDialog *self,
               guint              i)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icons = gtk_stack_new ();
  GtkWidget *image;
  GtkWidget *spinner;
  GtkWidget *label;
  GtkWidget *row;

  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  image = gtk_image_new_from_icon_name ("content-loading-symbolic");
  gtk_widget_add_css_class (image, "dim-label");
  gtk_stack_add_named (GTK_STACK (icons), image, "pending");
  spinner = gtk_spinner_new ();
  gtk_spinner_set_spinning (GTK_SPINNER (spinner), TRUE);
  gtk_stack_add_named (GTK_STACK (icons), spinner, "running");
  image = gtk_image_new_from_icon_name ("emblem-ok-symbolic");
  gtk_widget_add_css_class (image, "success");
  gtk_stack_add_named (GTK_STACK (icons), image, "done");
  image = gtk_image_new_from_icon_name ("dialog-error-symbolic");
  gtk_widget_add_css_class (image, "error");
  gtk_stack_add_named (GTK_STACK (icons), image, "failed");
  gtk_box_append (GTK_BOX (box), icons);

  label = gtk_label_new (step_label (step_states[i]));
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  self->step_icons[i] = GTK_STACK (icons);
  self->step_labels[i] = label;
  return row;
}

static void
update_steps (EspyInstallDialog *self)
{
  EspyInstallState state = espy_install_job_get_state (self->job);
  EspyInstallState stopped = ESPY_INSTALL_STATE_PENDING;
  gboolean finished = espy_install_state_is_final (state);
  guint i;

  if (state == ESPY_INSTALL_STATE_FAILED)
    stopped = espy_install_job_get_failed_state (self->job);
  else if (state == ESPY_INSTALL_STATE_CANCELLED)
    stopped = self->last_active_state;

  for (i = 0; i < N_STEPS; i++)
    {
      EspyInstallState s = step_states[i];
      const char *name;

      if (state == ESPY_INSTALL_STATE_SUCCEEDED)
        name = "done";
      else if (finished)
        name = s < stopped ? "done" : s == stopped
               ? (state == ESPY_INSTALL_STATE_FAILED ? "failed" : "pending") : "pending";
      else
        name = s < state ? "done" : s == state ? "running" : "pending";

      gtk_stack_set_visible_child_name (self->step_icons[i], name);
      if (g_str_equal (name, "running"))
        gtk_widget_add_css_class (self->step_labels[i], "heading");
      else
        gtk_widget_remove_css_class (self->step_labels[i], "heading");
      if (g_str_equal (name, "pending"))
        gtk_widget_add_css_class (self->step_labels[i], "dim-label");
      else
        gtk_widget_remove_css_class (self->step_labels[i], "dim-label");
    }
}

/* "45 %" on the bar; "2.1 MB of 4.5 MB · 120.0 kB/s · 8 s left" below. */
static void
update_progress (EspyInstallDialog *self)
{
  EspyInstallJob *job = self->job;
  EspyInstallState state = espy_install_job_get_state (job);
  double fraction = espy_install_job_get_fraction (job);
  g_autofree char *percent = NULL;
  g_autofree char *detail = NULL;

  gtk_label_set_text (self->progress_title, espy_install_job_get_title (job));

  switch (state)
    {
    case ESPY_INSTALL_STATE_UPLOADING:
      if (espy_install_job_get_ota_stage (job) == ESPY_OTA_STAGE_UPLOAD
          && espy_install_job_get_bytes_total (job) > 0)
        {
          g_autofree char *sent = g_format_size (espy_install_job_get_bytes_sent (job));
          g_autofree char *total = g_format_size (espy_install_job_get_bytes_total (job));
          double rate = espy_install_job_get_rate (job);
          int eta = espy_install_job_get_eta_seconds (job);

          if (rate > 0.0 && eta >= 0)
            {
              g_autofree char *speed = g_format_size ((guint64) rate);
              g_autofree char *left = eta < 60 ? g_strdup_printf (_("%d s left"), eta)
                                               : g_strdup_printf (_("%d min %d s left"), eta / 60, eta % 60);

              /* Translators: "2.1 MB of 4.5 MB · 120.0 kB/s · 8 s left" */
              detail = g_strdup_printf (_("%s of %s · %s/s · %s"), sent, total, speed, left);
            }
          else
            /* Translators: "2.1 MB of 4.5 MB" */
            detail = g_strdup_printf (_("%s of %s"), sent, total);
        }
      break;

    case ESPY_INSTALL_STATE_REBOOTING:
    case ESPY_INSTALL_STATE_VERIFYING:
    case ESPY_INSTALL_STATE_SUCCEEDED:
      fraction = 1.0;
      break;

    case ESPY_INSTALL_STATE_PENDING:
    case ESPY_INSTALL_STATE_PREPARING:
    case ESPY_INSTALL_STATE_CONNECTING:
    case ESPY_INSTALL_STATE_FAILED:
    case ESPY_INSTALL_STATE_CANCELLED:
    default:
      break;
    }

  if (detail == NULL)
    detail = g_strdup (espy_install_job_get_status_text (job));

  /* Translators: a percentage on the progress bar */
  percent = g_strdup_printf (_("%u %%"), (guint) (fraction * 100.0 + 0.5));
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  gtk_progress_bar_set_text (self->progress_bar, percent);
  gtk_label_set_text (self->progress_detail, detail != NULL ? detail : "");
}

static void
show_result (EspyInstallDialog *self)
{
  EspyInstallState state = espy_install_job_get_state (self->job);
  const GError *error = espy_install_job_get_error (self->job);
  const char *name = espy_device_get_display_name (self->device);
  g_autofree char *text = NULL;

  switch (state)
    {
    case ESPY_INSTALL_STATE_SUCCEEDED:
      if (espy_install_job_get_new_version (self->job) != NULL)
        /* Translators: the first %s is a device name, the second an ESPHome version */
        text = g_strdup_printf (_("%s is back and runs ESPHome %s."),
                                name, espy_install_job_get_new_version (self->job));
      else
        /* Translators: %s is a device name */
        text = g_strdup_printf (_("%s is back with the new firmware."), name);
      {
        g_autofree char *escaped = g_markup_escape_text (text, -1);

        adw_status_page_set_description (self->success_page, escaped);
      }
      set_page (self, "success");
      break;

    case ESPY_INSTALL_STATE_FAILED:
    case ESPY_INSTALL_STATE_CANCELLED:
      {
        g_autofree char *escaped = NULL;
        gboolean cancelled = state == ESPY_INSTALL_STATE_CANCELLED;

        if (cancelled)
          {
            adw_status_page_set_title (self->failure_page, _("Install Cancelled"));
            text = self->last_active_state >= ESPY_INSTALL_STATE_REBOOTING
                   ? g_strdup (_("The firmware was uploaded before the install was cancelled; "
                                 "the device may be running it now."))
                   : g_strdup (_("The device still runs the firmware it had."));
          }
        else
          {
            adw_status_page_set_title (self->failure_page,
                                       failure_title (espy_install_job_get_failed_state (self->job)));
            text = g_strdup (error != NULL ? error->message : _("The install failed."));
          }
        escaped = g_markup_escape_text (text, -1);
        adw_status_page_set_description (self->failure_page, escaped);
        adw_status_page_set_icon_name (self->failure_page,
                                       cancelled ? "process-stop-symbolic" : "dialog-warning-symbolic");
        gtk_widget_set_visible (self->troubleshoot_button, !cancelled && can_troubleshoot (self));
        set_page (self, "failure");
      }
      break;

    case ESPY_INSTALL_STATE_PENDING:
    case ESPY_INSTALL_STATE_PREPARING:
    case ESPY_INSTALL_STATE_CONNECTING:
    case ESPY_INSTALL_STATE_UPLOADING:
    case ESPY_INSTALL_STATE_REBOOTING:
    case ESPY_INSTALL_STATE_VERIFYING:
    default:
      break;
    }
}

static void
job_changed_cb (EspyInstallDialog *self)
{
  EspyInstallState state = espy_install_job_get_state (self->job);

  if (espy_install_state_is_active (state))
    self->last_active_state = state;
  update_progress (self);
  update_steps (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "install.cancel", !espy_install_state_is_final (state));
  if (espy_install_state_is_final (state))
    show_result (self);
  else
    set_page (self, "progress");
}

static void
espy_install_dialog_update_job (EspyInstallDialog *self)
{
  g_autofree char *device_line = NULL;
  EspyFirmwareImage *image;

  if (self->job == NULL)
    return;

  image = espy_install_job_get_image (self->job);
  if (image != NULL)
    /* Translators: "Kitchen · firmware.bin" */
    device_line = g_strdup_printf (_("%s · %s"), espy_device_get_display_name (self->device),
                                   espy_firmware_image_get_name (image));
  else
    device_line = g_strdup (espy_device_get_display_name (self->device));
  gtk_label_set_text (self->progress_device, device_line);
  job_changed_cb (self);
}

/* --- the keyring and the build log ------------------------------------------------- */

typedef struct {
  char           *device;
  guint           n;
  EspySecretKind  kinds[2];
  char           *secrets[2];
} Remember;

static void
remember_free (gpointer data,
               GClosure *closure)
{
  Remember *r = data;

  g_free (r->device);
  for (guint i = 0; i < r->n; i++)
    espy_secret_free (r->secrets[i]);
  g_free (r);
}

static void
remember_stored_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!espy_secrets_store_finish (result, &error))
    g_warning ("Could not store a secret in the keyring: %s", error->message);
}

/* Stored only once the secrets proved right: the install succeeded. */
static void
remember_finished_cb (EspyInstallJob     *job,
                      EspyInstallAttempt *attempt,
                      Remember           *r)
{
  if (espy_install_job_get_state (job) != ESPY_INSTALL_STATE_SUCCEEDED)
    return;
  for (guint i = 0; i < r->n; i++)
    espy_secrets_store_async (r->device, r->kinds[i], r->secrets[i], NULL, remember_stored_cb, NULL);
}

/* KIND/SECRET pairs, ending with a NULL secret. */
static void
remember_on_success (EspyInstallJob *job,
                     EspySecretKind  kind,
                     const char     *secret,
                     ...)
{
  Remember *r = g_new0 (Remember, 1);
  va_list args;

  r->device = g_strdup (espy_install_job_get_device_name (job));
  va_start (args, secret);
  while (secret != NULL && r->n < G_N_ELEMENTS (r->secrets))
    {
      r->kinds[r->n] = kind;
      r->secrets[r->n] = g_strdup (secret);
      r->n++;
      kind = va_arg (args, EspySecretKind);
      secret = va_arg (args, const char *);
    }
  va_end (args);
  /* Not tied to the dialog: the install may outlive it. */
  g_signal_connect_data (job, "finished", G_CALLBACK (remember_finished_cb), r, remember_free, 0);
}

#define BUILD_LOG_LINES 12

static void
job_log_line_cb (EspyInstallDialog *self,
                 const char        *line)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (!espy_install_job_get_building (self->job))
    return;
  g_queue_push_tail (&self->build_lines, g_strdup (line));
  while (self->build_lines.length > BUILD_LOG_LINES)
    g_free (g_queue_pop_head (&self->build_lines));
  for (GList *l = self->build_lines.head; l != NULL; l = l->next)
    {
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, l->data);
    }
  gtk_label_set_text (self->build_log_label, text->str);
}

static void
set_job (EspyInstallDialog *self,
         EspyInstallJob    *job)
{
  if (self->job == job)
    return;
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_set_object (&self->job, job);
  if (job != NULL)
    {
      /* The job outlives the dialog; these go with the dialog. */
      g_signal_connect_object (job, "notify::state", G_CALLBACK (job_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (job, "notify::status-text", G_CALLBACK (job_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (job, "notify::fraction", G_CALLBACK (job_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (job, "log-line", G_CALLBACK (job_log_line_cb), self, G_CONNECT_SWAPPED);
      espy_install_dialog_update_job (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
}

/* --- actions ------------------------------------------------------------------- */

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (widget);
  g_autoptr(EspyInstallJob) job = NULL;
  g_autoptr(GError) error = NULL;
  EspyInstallJob *running;
  const char *password;
  gboolean building;

  if (!self->can_install)
    return;

  /* Another window may have started one meanwhile: follow that instead. */
  running = espy_install_manager_lookup_active (self->manager, espy_device_get_name (self->device));
  if (running != NULL)
    {
      set_job (self, running);
      return;
    }

  building = self->config != NULL && gtk_check_button_get_active (self->build_check);
  job = espy_install_job_new (self->device, building ? NULL : self->image);
  /* The YAML gives secrets first, and what to build. */
  espy_install_job_set_config (job, self->config);
  espy_install_job_set_transport (job, chosen_transport (self));
  password = self->known_password != NULL ? self->known_password
                                          : gtk_editable_get_text (self->password_entry);
  /* An empty entry is no answer: the job then looks in the keyring. */
  if (self->known_password != NULL || (password != NULL && *password != '\0'))
    espy_install_job_set_password (job, password);
  if (self->known_password == NULL && password != NULL && *password != '\0'
      && gtk_switch_get_active (self->keyring_switch))
    remember_on_success (job, ESPY_SECRET_KIND_OTA_PASSWORD, password, 0, NULL);
  if (chosen_transport (self) == ESPY_INSTALL_TRANSPORT_WEB && !self->web_known)
    {
      const char *web_user = gtk_editable_get_text (self->web_user_entry);
      const char *web_password = gtk_editable_get_text (self->web_password_entry);

      /* Empty: the job then tries without, and says when the device wants them. */
      if (web_user != NULL && *web_user != '\0')
        {
          espy_install_job_set_web_credentials (job, web_user, web_password);
          if (gtk_switch_get_active (self->web_keyring_switch))
            remember_on_success (job, ESPY_SECRET_KIND_WEB_USER, web_user,
                                 ESPY_SECRET_KIND_WEB_PASSWORD, web_password, 0, NULL);
        }
    }

  g_queue_clear_full (&self->build_lines, g_free);
  gtk_label_set_text (self->build_log_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->build_log_expander), building);

  /* Watch before it starts, so no step goes unseen. */
  self->last_active_state = ESPY_INSTALL_STATE_PENDING;
  set_job (self, job);
  if (!espy_install_manager_start (self->manager, job, &error))
    {
      set_job (self, NULL);
      show_file_error (self, error->message);
      set_page (self, "setup");
    }
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (widget);

  if (self->job != NULL)
    espy_install_job_cancel (self->job);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (widget);

  /* Same file, transport and password: change what needs changing, or
   * press Install again. */
  set_job (self, NULL);
  set_page (self, "setup");
  if (self->image == NULL && self->file != NULL)
    espy_install_dialog_set_file (self, self->file);
}

static void
troubleshoot_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (widget);
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  if (parent == NULL)
    return;
  gtk_widget_activate_action (GTK_WIDGET (parent), "win.troubleshoot", "s",
                              espy_device_get_name (self->device));
  gtk_window_close (GTK_WINDOW (self));
}

static void
change_web_credentials_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (widget);

  /* What the user types now wins over the YAML and the keyring. */
  set_web_known (self, NULL);
  gtk_widget_grab_focus (GTK_WIDGET (self->web_user_entry));
}

static void
stack_page_cb (EspyInstallDialog *self)
{
  gboolean setup = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "setup") == 0;

  /* Setup is a dialog with Cancel and Install; afterwards a window that
   * can be closed while the install goes on. */
  gtk_widget_set_visible (self->cancel_button, setup);
  gtk_widget_set_visible (self->install_button, setup);
  adw_header_bar_set_show_end_title_buttons (self->header_bar, !setup);
  update_can_install (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE]);
}

/* --- public -------------------------------------------------------------------- */

GtkWidget *
espy_install_dialog_new_full (GtkWindow          *parent,
                              EspyDevice         *device,
                              EspyInstallManager *manager,
                              EspyConfigFolder   *config_folder)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);
  g_return_val_if_fail (manager == NULL || ESPY_IS_INSTALL_MANAGER (manager), NULL);
  g_return_val_if_fail (config_folder == NULL || ESPY_IS_CONFIG_FOLDER (config_folder), NULL);

  return g_object_new (ESPY_TYPE_INSTALL_DIALOG,
                       "transient-for", parent,
                       "device", device,
                       "install-manager", manager,
                       "config-folder", config_folder,
                       NULL);
}

GtkWidget *
espy_install_dialog_new (GtkWindow  *parent,
                         EspyDevice *device)
{
  GtkApplication *app = parent != NULL ? gtk_window_get_application (parent) : NULL;
  EspyApplication *espy = ESPY_IS_APPLICATION (app) ? ESPY_APPLICATION (app) : NULL;
  EspyInstallDialog *self;
  g_autoptr(GFile) firmware = NULL;
  g_autofree char *password = NULL;

  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  self = ESPY_INSTALL_DIALOG (espy_install_dialog_new_full (parent, device,
                                                            espy ? espy_application_get_install_manager (espy) : NULL,
                                                            espy ? espy_application_get_config_folder (espy) : NULL));
  if (espy == NULL)
    return GTK_WIDGET (self);

  password = espy_application_dup_ota_password (espy, device);
  if (password != NULL)
    espy_install_dialog_set_password (self, password);
  espy_secret_string_clear (&password);
  espy_install_dialog_set_transport (self, espy_application_get_default_transport (espy));
  firmware = espy_application_dup_firmware (espy, device);
  if (firmware != NULL)
    espy_install_dialog_set_file (self, firmware);

  return GTK_WIDGET (self);
}

GtkWidget *
espy_install_dialog_new_for_job (GtkWindow      *parent,
                                 EspyInstallJob *job)
{
  GtkWidget *dialog;

  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (job), NULL);

  dialog = espy_install_dialog_new (parent, espy_install_job_get_device (job));
  set_job (ESPY_INSTALL_DIALOG (dialog), job);
  return dialog;
}

EspyDevice *
espy_install_dialog_get_device (EspyInstallDialog *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_DIALOG (self), NULL);
  return self->device;
}

EspyInstallJob *
espy_install_dialog_get_job (EspyInstallDialog *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_DIALOG (self), NULL);
  return self->job;
}

const char *
espy_install_dialog_get_page (EspyInstallDialog *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_DIALOG (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

gboolean
espy_install_dialog_get_can_install (EspyInstallDialog *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_DIALOG (self), FALSE);
  return self->can_install;
}

/* --- GObject ------------------------------------------------------------------- */

static void
espy_install_dialog_constructed (GObject *object)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (object);

  G_OBJECT_CLASS (espy_install_dialog_parent_class)->constructed (object);

  g_assert (self->device != NULL);
  adw_window_title_set_subtitle (self->window_title, espy_device_get_display_name (self->device));
  update_transport_rows (self);
  read_config (self);
  update_password_rows (self);
  lookup_web_credentials (self);
  update_web_rows (self);
  update_can_install (self);
}

static void
espy_install_dialog_dispose (GObject *object)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (object);

  /* The job goes on in the manager. */
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_cancellable_cancel (self->web_lookup);
  g_clear_object (&self->web_lookup);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  set_known_password (self, NULL, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), ESPY_TYPE_INSTALL_DIALOG);

  G_OBJECT_CLASS (espy_install_dialog_parent_class)->dispose (object);
}

static void
espy_install_dialog_finalize (GObject *object)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (object);

  g_clear_object (&self->device);
  g_clear_object (&self->manager);
  g_clear_object (&self->config_folder);
  g_clear_object (&self->config);
  g_queue_clear_full (&self->build_lines, g_free);
  g_clear_object (&self->file);
  g_clear_object (&self->image);
  g_free (self->known_password_source);
  g_free (self->web_known_source);

  G_OBJECT_CLASS (espy_install_dialog_parent_class)->finalize (object);
}

static void
espy_install_dialog_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (object);

  switch (prop_id)
    {
    case PROP_DEVICE: g_value_set_object (value, self->device); break;
    case PROP_INSTALL_MANAGER: g_value_set_object (value, self->manager); break;
    case PROP_CONFIG_FOLDER: g_value_set_object (value, self->config_folder); break;
    case PROP_JOB: g_value_set_object (value, self->job); break;
    case PROP_PAGE: g_value_set_string (value, espy_install_dialog_get_page (self)); break;
    case PROP_CAN_INSTALL: g_value_set_boolean (value, self->can_install); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_install_dialog_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  EspyInstallDialog *self = ESPY_INSTALL_DIALOG (object);

  switch (prop_id)
    {
    case PROP_DEVICE:
      self->device = g_value_dup_object (value);
      break;
    case PROP_INSTALL_MANAGER:
      g_set_object (&self->manager, g_value_get_object (value));
      update_can_install (self);
      break;
    case PROP_CONFIG_FOLDER:
      g_set_object (&self->config_folder, g_value_get_object (value));
      read_config (self);
      break;
    case PROP_JOB:
      set_job (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_install_dialog_class_init (EspyInstallDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = espy_install_dialog_constructed;
  object_class->dispose = espy_install_dialog_dispose;
  object_class->finalize = espy_install_dialog_finalize;
  object_class->get_property = espy_install_dialog_get_property;
  object_class->set_property = espy_install_dialog_set_property;

  properties[PROP_DEVICE] =
    g_param_spec_object ("device", NULL, NULL, ESPY_TYPE_DEVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INSTALL_MANAGER] =
    g_param_spec_object ("install-manager", NULL, NULL, ESPY_TYPE_INSTALL_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONFIG_FOLDER] =
    g_param_spec_object ("config-folder", NULL, NULL, ESPY_TYPE_CONFIG_FOLDER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_JOB] =
    g_param_spec_object ("job", NULL, NULL, ESPY_TYPE_INSTALL_JOB,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAGE] =
    g_param_spec_string ("page", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_INSTALL] =
    g_param_spec_boolean ("can-install", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-install-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, header_bar);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, install_button);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, file_row);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, file_status_icon);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, file_check);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, build_row);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, file_error_label);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, ota_row);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, web_row);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, ota_check);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, web_check);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, password_group);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, password_known_row);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, password_entry);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, keyring_row);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, keyring_switch);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, web_group);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, web_known_row);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, web_user_entry);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, web_password_entry);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, web_keyring_row);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, web_keyring_switch);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, build_check);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, build_log_expander);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, build_log_label);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, progress_title);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, progress_device);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, progress_detail);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, steps_list);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, cancel_install_button);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, success_page);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, failure_page);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, retry_button);
  gtk_widget_class_bind_template_child (widget_class, EspyInstallDialog, troubleshoot_button);
  gtk_widget_class_bind_template_callback (widget_class, transport_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, stack_page_cb);

  gtk_widget_class_install_action (widget_class, "install.choose-file", NULL, choose_file_action);
  gtk_widget_class_install_action (widget_class, "install.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "install.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "install.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "install.troubleshoot", NULL, troubleshoot_action);
  gtk_widget_class_install_action (widget_class, "install.change-web-credentials", NULL,
                                   change_web_credentials_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
espy_install_dialog_init (EspyInstallDialog *self)
{
  guint i;

  gtk_widget_init_template (GTK_WIDGET (self));

  for (i = 0; i < N_STEPS; i++)
    gtk_list_box_append (self->steps_list, make_step_row (self, i));
  self->last_active_state = ESPY_INSTALL_STATE_PENDING;
  g_signal_connect_swapped (self->build_check, "toggled", G_CALLBACK (update_can_install), self);
  g_signal_connect_swapped (self->file_check, "toggled", G_CALLBACK (update_can_install), self);
  stack_page_cb (self);
}
