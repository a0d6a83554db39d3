/* espy-preferences-window.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "espy-preferences-window.h"

typedef struct {
  const char *nick;
  const char *label;
} TransportChoice;

static const TransportChoice transport_choices[] = {
  { "ota", N_("Wirelessly") },
  { "web", N_("Through the web server") },
  { "auto", N_("Automatic") },
};

struct _EspyPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  EspyApplication      *application;
  GSettings            *settings;
  GtkFileChooserNative *folder_chooser;
  /* Indices into transport_choices of the combo row's items: only the
   * values the installed schema accepts. */
  GArray               *transport_items;

  /* Template widgets */
  AdwActionRow         *folder_row;
  AdwComboRow          *transport_row;
  GtkStringList        *transport_model;
  GtkSpinButton        *parallel_spin;
  GtkSpinButton        *log_spin;
};

G_DEFINE_FINAL_TYPE (EspyPreferencesWindow, espy_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
espy_preferences_window_update_folder (EspyPreferencesWindow *self)
{
  g_autofree char *path = NULL;

  if (self->settings != NULL)
    path = g_settings_get_string (self->settings, "config-folder");

  if (path == NULL || *path == '\0')
    adw_action_row_set_subtitle (self->folder_row, _("None chosen: devices come from mDNS and manual entries"));
  else
    {
      g_autofree char *display = g_filename_display_name (path);
      g_autofree char *markup = g_markup_escape_text (display, -1);

      adw_action_row_set_subtitle (self->folder_row, markup);
    }
}

static void
folder_opened_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(EspyPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!espy_application_open_config_folder_finish (ESPY_APPLICATION (object), result, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not open the configuration folder: %s"), error->message);

      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (text));
    }
}

static void
folder_chooser_response_cb (EspyPreferencesWindow *self,
                            int                    response,
                            GtkFileChooserNative  *chooser)
{
  g_autoptr(GFile) folder = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  g_clear_object (&self->folder_chooser);

  if (folder != NULL)
    espy_application_open_config_folder_async (self->application, folder, NULL,
                                               folder_opened_cb, g_object_ref (self));
}

static void
folder_button_clicked_cb (EspyPreferencesWindow *self)
{
  EspyConfigFolder *current;

  if (self->folder_chooser == NULL)
    {
      self->folder_chooser = gtk_file_chooser_native_new (_("Choose the Configuration Folder"),
                                                          GTK_WINDOW (self),
                                                          GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                          _("_Select"),
                                                          _("_Cancel"));
      gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->folder_chooser), TRUE);
      current = espy_application_get_config_folder (self->application);
      if (current != NULL)
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->folder_chooser),
                                             espy_config_folder_get_directory (current), NULL);
      g_signal_connect_object (self->folder_chooser, "response",
                               G_CALLBACK (folder_chooser_response_cb), self, G_CONNECT_SWAPPED);
    }

  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->folder_chooser));
}

static gboolean
transport_get_mapping (GValue   *value,
                       GVariant *variant,
                       gpointer  user_data)
{
  EspyPreferencesWindow *self = user_data;
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < self->transport_items->len; i++)
    if (g_strcmp0 (transport_choices[g_array_index (self->transport_items, guint, i)].nick, nick) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }

  return FALSE;
}

static GVariant *
transport_set_mapping (const GValue       *value,
                       const GVariantType *expected_type,
                       gpointer            user_data)
{
  EspyPreferencesWindow *self = user_data;
  guint selected = g_value_get_uint (value);

  if (selected >= self->transport_items->len)
    return NULL;

  return g_variant_new_string (transport_choices[g_array_index (self->transport_items, guint, selected)].nick);
}

static void
espy_preferences_window_bind (EspyPreferencesWindow *self)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaKey) key = NULL;

  if (self->settings == NULL)
    {
      /* Nothing to save them in: show them, but read-only. */
      gtk_widget_set_sensitive (GTK_WIDGET (self->transport_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->parallel_spin), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->log_spin), FALSE);
      return;
    }

  g_object_get (self->settings, "settings-schema", &schema, NULL);
  key = g_settings_schema_get_key (schema, "default-transport");
  for (guint i = 0; i < G_N_ELEMENTS (transport_choices); i++)
    {
      g_autoptr(GVariant) candidate = g_variant_ref_sink (g_variant_new_string (transport_choices[i].nick));

      if (!g_settings_schema_key_range_check (key, candidate))
        continue;
      g_array_append_val (self->transport_items, i);
      gtk_string_list_append (self->transport_model, _(transport_choices[i].label));
    }

  g_settings_bind_with_mapping (self->settings, "default-transport",
                                self->transport_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                transport_get_mapping, transport_set_mapping,
                                self, NULL);
  g_settings_bind (self->settings, "parallel-installs", self->parallel_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "log-buffer-lines", self->log_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed::config-folder",
                           G_CALLBACK (espy_preferences_window_update_folder), self, G_CONNECT_SWAPPED);
}

static void
espy_preferences_window_dispose (GObject *object)
{
  EspyPreferencesWindow *self = ESPY_PREFERENCES_WINDOW (object);

  if (self->folder_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->folder_chooser));
  g_clear_object (&self->folder_chooser);

  gtk_widget_dispose_template (GTK_WIDGET (self), ESPY_TYPE_PREFERENCES_WINDOW);

  g_clear_object (&self->settings);
  g_clear_object (&self->application);
  g_clear_pointer (&self->transport_items, g_array_unref);

  G_OBJECT_CLASS (espy_preferences_window_parent_class)->dispose (object);
}

static void
espy_preferences_window_class_init (EspyPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = espy_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyPreferencesWindow, folder_row);
  gtk_widget_class_bind_template_child (widget_class, EspyPreferencesWindow, transport_row);
  gtk_widget_class_bind_template_child (widget_class, EspyPreferencesWindow, transport_model);
  gtk_widget_class_bind_template_child (widget_class, EspyPreferencesWindow, parallel_spin);
  gtk_widget_class_bind_template_child (widget_class, EspyPreferencesWindow, log_spin);
  gtk_widget_class_bind_template_callback (widget_class, folder_button_clicked_cb);
}

static void
espy_preferences_window_init (EspyPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->transport_items = g_array_new (FALSE, FALSE, sizeof (guint));
}

GtkWidget *
espy_preferences_window_new (GtkWindow       *parent,
                             EspyApplication *application)
{
  EspyPreferencesWindow *self;
  GSettings *settings;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (ESPY_IS_APPLICATION (application), NULL);

  self = g_object_new (ESPY_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "application", application,
                       NULL);
  self->application = g_object_ref (application);
  settings = espy_application_get_settings (application);
  if (settings != NULL)
    self->settings = g_object_ref (settings);

  espy_preferences_window_bind (self);
  espy_preferences_window_update_folder (self);

  return GTK_WIDGET (self);
}
