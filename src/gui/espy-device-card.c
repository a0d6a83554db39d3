/* espy-device-card.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "espy-device-card.h"

struct _EspyDeviceCard
{
  GtkWidget           parent_instance;

  EspyDevice         *device;
  EspyInstallManager *install_manager;
  /* The queued or running job of this device, or NULL. */
  EspyInstallJob     *job;
  /* Fills the Install button's background like gnome-software's
   * GsProgressButton; reloaded only when the whole percent changes. */
  GtkCssProvider     *progress_provider;
  int                 progress_percent;
  /* The device changed while the card was off screen: update on map. */
  gboolean            stale;

  /* Template widgets */
  GtkWidget          *content_box;
  GtkLabel           *title_label;
  GtkLabel           *name_label;
  GtkWidget          *status_box;
  GtkWidget          *status_dot;
  GtkLabel           *status_label;
  GtkLabel           *address_label;
  GtkLabel           *platform_label;
  GtkLabel           *version_label;
  GtkWidget          *update_pill;
  GtkLabel           *result_label;
  GtkWidget          *failed_button;
  GtkWidget          *install_button;
  GtkLabel           *install_label;
};

G_DEFINE_FINAL_TYPE (EspyDeviceCard, espy_device_card, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DEVICE,
  PROP_INSTALL_MANAGER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void espy_device_card_update_job (EspyDeviceCard *self);

/* --- device facts --------------------------------------------------------- */

/* Blue when installing is what the user most likely wants: an update for a
 * device that answers. Plain while an install runs, so its fill shows. */
static void
espy_device_card_update_button_style (EspyDeviceCard *self)
{
  if (self->device != NULL && self->job == NULL &&
      espy_device_get_update_available (self->device) &&
      espy_device_get_online (self->device))
    gtk_widget_add_css_class (self->install_button, "suggested-action");
  else
    gtk_widget_remove_css_class (self->install_button, "suggested-action");
}

static void
espy_device_card_update_device (EspyDeviceCard *self)
{
  EspyDevice *device = self->device;
  const char *platform;
  const char *board;
  const char *version;
  g_autofree char *platform_text = NULL;
  g_autofree char *version_text = NULL;
  gboolean online;

  if (device == NULL)
    return;

  gtk_label_set_label (self->title_label, espy_device_get_display_name (device));
  gtk_label_set_label (self->name_label, espy_device_get_name (device));
  gtk_label_set_label (self->address_label, espy_device_get_address (device));

  online = espy_device_get_online (device);
  gtk_label_set_label (self->status_label, online ? _("Online") : _("Offline"));
  if (online)
    {
      gtk_widget_add_css_class (self->status_box, "online");
      gtk_widget_remove_css_class (self->status_box, "offline");
    }
  else
    {
      gtk_widget_add_css_class (self->status_box, "offline");
      gtk_widget_remove_css_class (self->status_box, "online");
    }
  platform = espy_device_get_platform (device);
  board = espy_device_get_board (device);
  if (platform != NULL && board != NULL)
    /* Translators: platform and board, e.g. "ESP32 · esp32dev" */
    platform_text = g_strdup_printf (_("%s · %s"), platform, board);
  else if (platform != NULL || board != NULL)
    platform_text = g_strdup (platform != NULL ? platform : board);
  else
    platform_text = g_strdup (_("Unknown platform"));
  gtk_label_set_label (self->platform_label, platform_text);

  version = espy_device_get_version (device);
  if (version != NULL)
    /* Translators: the firmware version a device runs, e.g. "ESPHome 2026.1.2" */
    version_text = g_strdup_printf (_("ESPHome %s"), version);
  else
    version_text = g_strdup (_("Version unknown"));
  gtk_label_set_label (self->version_label, version_text);

  gtk_widget_set_visible (self->update_pill, espy_device_get_update_available (device));

  espy_device_card_update_button_style (self);
}

static void
device_notify_cb (EspyDeviceCard *self,
                  GParamSpec     *pspec,
                  EspyDevice     *device)
{
  /* The reachability text changes about once a second: the tooltip asks
   * for it when it shows. */
  if (g_strcmp0 (pspec->name, "reachability") == 0)
    return;
  /* The grid keeps far more cards than it shows (GtkGridView binds up to
   * 30 rows of max-columns); relabelling those off screen makes the next
   * frame measure them all. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->stale = TRUE;
      return;
    }
  espy_device_card_update_device (self);
}

/* --- install progress and result ------------------------------------------ */

static void
espy_device_card_set_progress (EspyDeviceCard *self,
                               int             percent)
{
  g_autofree char *css = NULL;

  if (self->progress_percent == percent)
    return;
  self->progress_percent = percent;

  if (percent < 0)
    {
      gtk_widget_remove_css_class (self->install_button, "install-progress");
      return;
    }

  gtk_widget_add_css_class (self->install_button, "install-progress");
  css = g_strdup_printf (".install-progress { background-size: %d%% 100%%; }", percent);
  gtk_css_provider_load_from_data (self->progress_provider, css, -1);
}

static gboolean
espy_device_card_troubleshoot_available (EspyDeviceCard *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidgetClass *klass;
  GType owner;
  const char *name;
  const GVariantType *parameter_type;
  const char *property_name;
  guint i;

  if (root == NULL)
    return FALSE;

  if (G_IS_ACTION_GROUP (root) && g_action_group_has_action (G_ACTION_GROUP (root), "troubleshoot"))
    return TRUE;

  /* Actions installed on the window's class do not show in its action
   * group. (GTK 4.8 wants every out argument.) */
  klass = GTK_WIDGET_GET_CLASS (root);
  for (i = 0; gtk_widget_class_query_action (klass, i, &owner, &name, &parameter_type, &property_name); i++)
    if (g_strcmp0 (name, "win.troubleshoot") == 0)
      return TRUE;

  return FALSE;
}

static char *
format_finished (gint64 finished_us)
{
  g_autoptr(GDateTime) then = NULL;
  g_autoptr(GDateTime) now = NULL;

  if (finished_us <= 0)
    return g_strdup (_("Installed"));

  then = g_date_time_new_from_unix_local (finished_us / G_USEC_PER_SEC);
  now = g_date_time_new_now_local ();

  if (g_date_time_get_year (then) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (then) == g_date_time_get_day_of_year (now))
    {
      g_autofree char *time = g_date_time_format (then, "%H:%M");
      /* Translators: %s is a time of today, e.g. "14:02" */
      return g_strdup_printf (_("Installed at %s"), time);
    }
  else
    {
      g_autofree char *date = g_date_time_format (then, "%e %b");
      /* Translators: %s is a date, e.g. "3 Feb" */
      return g_strdup_printf (_("Installed on %s"), g_strstrip (date));
    }
}

static void
espy_device_card_update_result (EspyDeviceCard *self)
{
  EspyInstallJob *last = NULL;
  EspyInstallState state;

  gtk_widget_set_visible (GTK_WIDGET (self->result_label), FALSE);
  gtk_widget_set_visible (self->failed_button, FALSE);
  gtk_widget_remove_css_class (GTK_WIDGET (self->result_label), "error");
  gtk_widget_add_css_class (GTK_WIDGET (self->result_label), "dim-label");

  if (self->device == NULL || self->install_manager == NULL || self->job != NULL)
    return;

  last = espy_install_manager_lookup_last (self->install_manager, espy_device_get_name (self->device));
  if (last == NULL)
    return;

  state = espy_install_job_get_state (last);
  switch (state)
    {
    case ESPY_INSTALL_STATE_SUCCEEDED:
      {
        g_autofree char *text = format_finished (espy_install_job_get_finished (last));

        gtk_label_set_label (self->result_label, text);
        gtk_widget_set_visible (GTK_WIDGET (self->result_label), TRUE);
      }
      break;

    case ESPY_INSTALL_STATE_FAILED:
      {
        const GError *error = espy_install_job_get_error (last);

        if (espy_device_card_troubleshoot_available (self))
          {
            gtk_widget_set_tooltip_text (self->failed_button, error != NULL ? error->message : NULL);
            gtk_widget_set_visible (self->failed_button, TRUE);
          }
        else
          {
            gtk_label_set_label (self->result_label, _("Update failed"));
            gtk_widget_remove_css_class (GTK_WIDGET (self->result_label), "dim-label");
            gtk_widget_add_css_class (GTK_WIDGET (self->result_label), "error");
            gtk_widget_set_tooltip_text (GTK_WIDGET (self->result_label),
                                         error != NULL ? error->message : NULL);
            gtk_widget_set_visible (GTK_WIDGET (self->result_label), TRUE);
          }
      }
      break;

    case ESPY_INSTALL_STATE_CANCELLED:
      gtk_label_set_label (self->result_label, _("Install cancelled"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->result_label), NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->result_label), TRUE);
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
espy_device_card_update_progress (EspyDeviceCard *self)
{
  g_autofree char *text = NULL;
  g_autofree char *accessible = NULL;
  const char *label;
  int percent = -1;

  if (self->job == NULL)
    {
      espy_device_card_set_progress (self, -1);
      gtk_label_set_label (self->install_label, _("Install"));
      gtk_widget_set_tooltip_text (self->install_button, _("Install firmware on this device"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->install_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Install"),
                                      -1);
      return;
    }

  switch (espy_install_job_get_state (self->job))
    {
    case ESPY_INSTALL_STATE_PENDING:
      label = C_("install progress", "Waiting");
      percent = 0;
      break;

    case ESPY_INSTALL_STATE_PREPARING:
    case ESPY_INSTALL_STATE_CONNECTING:
      label = C_("install progress", "Connecting");
      percent = 0;
      break;

    case ESPY_INSTALL_STATE_UPLOADING:
      percent = (int) CLAMP (espy_install_job_get_fraction (self->job) * 100.0, 0.0, 100.0);
      /* Translators: install progress on a button, e.g. "42 %" */
      text = g_strdup_printf (_("%d %%"), percent);
      label = text;
      break;

    case ESPY_INSTALL_STATE_REBOOTING:
      label = C_("install progress", "Restarting");
      percent = 100;
      break;

    case ESPY_INSTALL_STATE_VERIFYING:
      label = C_("install progress", "Verifying");
      percent = 100;
      break;

    case ESPY_INSTALL_STATE_SUCCEEDED:
    case ESPY_INSTALL_STATE_FAILED:
    case ESPY_INSTALL_STATE_CANCELLED:
    default:
      label = _("Install");
      break;
    }

  espy_device_card_set_progress (self, percent);
  gtk_label_set_label (self->install_label, label);
  gtk_widget_set_tooltip_text (self->install_button, espy_install_job_get_status_text (self->job));
  /* Translators: accessible label of a device card's progress button */
  accessible = g_strdup_printf (_("Installing: %s"), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->install_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
}

static void
job_notify_cb (EspyDeviceCard *self,
               GParamSpec     *pspec,
               EspyInstallJob *job)
{
  if (espy_install_job_is_final (job))
    espy_device_card_update_job (self);
  else
    espy_device_card_update_progress (self);
}

static void
espy_device_card_set_job (EspyDeviceCard *self,
                          EspyInstallJob *job)
{
  if (self->job == job)
    return;

  if (self->job != NULL)
    g_signal_handlers_disconnect_by_func (self->job, job_notify_cb, self);
  g_set_object (&self->job, job);
  if (self->job != NULL)
    {
      g_signal_connect_object (self->job, "notify::state", G_CALLBACK (job_notify_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->job, "notify::fraction", G_CALLBACK (job_notify_cb), self,
                               G_CONNECT_SWAPPED);
    }
}

static void
espy_device_card_update_job (EspyDeviceCard *self)
{
  EspyInstallJob *job = NULL;

  if (self->device != NULL && self->install_manager != NULL)
    job = espy_install_manager_lookup_active (self->install_manager,
                                              espy_device_get_name (self->device));

  espy_device_card_set_job (self, job);
  espy_device_card_update_progress (self);
  espy_device_card_update_result (self);
  espy_device_card_update_button_style (self);
}

static void
jobs_changed_cb (EspyDeviceCard *self)
{
  espy_device_card_update_job (self);
}

/* --- callbacks ------------------------------------------------------------ */

static void
install_button_clicked_cb (EspyDeviceCard *self)
{
  if (self->device == NULL)
    return;

  gtk_widget_activate_action (GTK_WIDGET (self), "win.install", "s",
                              espy_device_get_name (self->device));
}

static void
failed_button_clicked_cb (EspyDeviceCard *self)
{
  if (self->device == NULL)
    return;

  gtk_widget_activate_action (GTK_WIDGET (self), "win.troubleshoot", "s",
                              espy_device_get_name (self->device));
}

static void
espy_device_card_map (GtkWidget *widget)
{
  EspyDeviceCard *self = ESPY_DEVICE_CARD (widget);

  if (self->stale)
    {
      self->stale = FALSE;
      espy_device_card_update_device (self);
    }

  GTK_WIDGET_CLASS (espy_device_card_parent_class)->map (widget);
}

static void
espy_device_card_root (GtkWidget *widget)
{
  EspyDeviceCard *self = ESPY_DEVICE_CARD (widget);

  GTK_WIDGET_CLASS (espy_device_card_parent_class)->root (widget);

  /* Whether win.troubleshoot exists is only known inside a window. */
  espy_device_card_update_result (self);
}

/* --- GObject -------------------------------------------------------------- */

static void
espy_device_card_dispose (GObject *object)
{
  EspyDeviceCard *self = ESPY_DEVICE_CARD (object);

  espy_device_card_set_job (self, NULL);
  espy_device_card_set_install_manager (self, NULL);
  espy_device_card_set_device (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), ESPY_TYPE_DEVICE_CARD);

  G_OBJECT_CLASS (espy_device_card_parent_class)->dispose (object);
}

static void
espy_device_card_finalize (GObject *object)
{
  EspyDeviceCard *self = ESPY_DEVICE_CARD (object);

  g_clear_object (&self->progress_provider);

  G_OBJECT_CLASS (espy_device_card_parent_class)->finalize (object);
}

static void
espy_device_card_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EspyDeviceCard *self = ESPY_DEVICE_CARD (object);

  switch (prop_id)
    {
    case PROP_DEVICE:
      g_value_set_object (value, self->device);
      break;

    case PROP_INSTALL_MANAGER:
      g_value_set_object (value, self->install_manager);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_device_card_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  EspyDeviceCard *self = ESPY_DEVICE_CARD (object);

  switch (prop_id)
    {
    case PROP_DEVICE:
      espy_device_card_set_device (self, g_value_get_object (value));
      break;

    case PROP_INSTALL_MANAGER:
      espy_device_card_set_install_manager (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_device_card_class_init (EspyDeviceCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = espy_device_card_dispose;
  object_class->finalize = espy_device_card_finalize;
  object_class->get_property = espy_device_card_get_property;
  object_class->set_property = espy_device_card_set_property;

  widget_class->root = espy_device_card_root;
  widget_class->map = espy_device_card_map;

  properties[PROP_DEVICE] =
    g_param_spec_object ("device", NULL, NULL,
                         ESPY_TYPE_DEVICE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_INSTALL_MANAGER] =
    g_param_spec_object ("install-manager", NULL, NULL,
                         ESPY_TYPE_INSTALL_MANAGER,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "devicecard");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-device-card.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, content_box);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, title_label);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, name_label);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, status_box);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, status_dot);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, status_label);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, address_label);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, platform_label);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, version_label);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, update_pill);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, result_label);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, failed_button);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, install_button);
  gtk_widget_class_bind_template_child (widget_class, EspyDeviceCard, install_label);
  gtk_widget_class_bind_template_callback (widget_class, install_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, failed_button_clicked_cb);
}

/* Tooltips are filled when they show: gtk_widget_set_tooltip_text() asks
 * the display server where the pointer is (a synchronous round trip on X11)
 * every time, which 200 cards changing at once turn into a long stall. */
static gboolean
status_query_tooltip_cb (EspyDeviceCard *self,
                         int             x,
                         int             y,
                         gboolean        keyboard,
                         GtkTooltip     *tooltip,
                         GtkWidget      *widget)
{
  const char *text = NULL;

  if (self->device == NULL)
    return FALSE;
  if (widget == self->status_box)
    text = espy_device_get_reachability (self->device);
  else
    text = espy_device_get_update_reason (self->device);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
espy_device_card_init (EspyDeviceCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_has_tooltip (self->status_box, TRUE);
  gtk_widget_set_has_tooltip (self->update_pill, TRUE);
  g_signal_connect_swapped (self->status_box, "query-tooltip", G_CALLBACK (status_query_tooltip_cb), self);
  g_signal_connect_swapped (self->update_pill, "query-tooltip", G_CALLBACK (status_query_tooltip_cb), self);

  self->progress_percent = -1;
  self->progress_provider = gtk_css_provider_new ();
  /* A provider of its own, so one card's progress does not restyle the others. */
  gtk_style_context_add_provider (gtk_widget_get_style_context (self->install_button),
                                  GTK_STYLE_PROVIDER (self->progress_provider),
                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
  espy_device_card_update_progress (self);
}

GtkWidget *
espy_device_card_new (void)
{
  return g_object_new (ESPY_TYPE_DEVICE_CARD, NULL);
}

EspyDevice *
espy_device_card_get_device (EspyDeviceCard *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CARD (self), NULL);

  return self->device;
}

void
espy_device_card_set_device (EspyDeviceCard *self,
                             EspyDevice     *device)
{
  g_return_if_fail (ESPY_IS_DEVICE_CARD (self));
  g_return_if_fail (device == NULL || ESPY_IS_DEVICE (device));

  if (self->device == device)
    return;

  if (self->device != NULL)
    g_signal_handlers_disconnect_by_func (self->device, device_notify_cb, self);
  g_set_object (&self->device, device);
  if (self->device != NULL)
    {
      g_signal_connect_object (self->device, "notify", G_CALLBACK (device_notify_cb), self,
                               G_CONNECT_SWAPPED);
      self->stale = FALSE;
      espy_device_card_update_device (self);
    }
  espy_device_card_update_job (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE]);
}

EspyInstallManager *
espy_device_card_get_install_manager (EspyDeviceCard *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CARD (self), NULL);

  return self->install_manager;
}

void
espy_device_card_set_install_manager (EspyDeviceCard     *self,
                                      EspyInstallManager *manager)
{
  g_return_if_fail (ESPY_IS_DEVICE_CARD (self));
  g_return_if_fail (manager == NULL || ESPY_IS_INSTALL_MANAGER (manager));

  if (self->install_manager == manager)
    return;

  if (self->install_manager != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->install_manager, jobs_changed_cb, self);
      g_signal_handlers_disconnect_by_func (espy_install_manager_get_jobs (self->install_manager),
                                            jobs_changed_cb, self);
    }
  g_set_object (&self->install_manager, manager);
  if (self->install_manager != NULL)
    {
      /* A job is added to the list when queued and leaves "active" when it
       * ends: those are the moments the card's job can change. */
      g_signal_connect_object (espy_install_manager_get_jobs (self->install_manager), "items-changed",
                               G_CALLBACK (jobs_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->install_manager, "job-finished",
                               G_CALLBACK (jobs_changed_cb), self, G_CONNECT_SWAPPED);
    }
  espy_device_card_update_job (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INSTALL_MANAGER]);
}
