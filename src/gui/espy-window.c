/* espy-window.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "espy-window.h"

struct _EspyWindow
{
  AdwApplicationWindow  parent_instance;

  /* NULL when the schema is not installed (running from the build tree). */
  GSettings            *settings;

  /* Template widgets */
  AdwHeaderBar         *header_bar;
  AdwWindowTitle       *window_title;
  GtkMenuButton        *primary_menu_button;
  AdwStatusPage        *status_page;
};

G_DEFINE_FINAL_TYPE (EspyWindow, espy_window, ADW_TYPE_APPLICATION_WINDOW)

static GSettings *
espy_window_create_settings (void)
{
  GSettingsSchemaSource *source;
  g_autoptr(GSettingsSchema) schema = NULL;

  /* g_settings_new() aborts on a missing schema; a developer running
   * ./build/src/gui/espy without installing should still get a window. */
  source = g_settings_schema_source_get_default ();
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);

  if (schema == NULL)
    {
      g_debug ("GSettings schema %s not installed; window size is not remembered", APP_ID);
      return NULL;
    }

  return g_settings_new_full (schema, NULL, NULL);
}

static void
espy_window_load_state (EspyWindow *self)
{
  int width;
  int height;

  if (self->settings == NULL)
    return;

  width = g_settings_get_int (self->settings, "window-width");
  height = g_settings_get_int (self->settings, "window-height");

  gtk_window_set_default_size (GTK_WINDOW (self), width, height);

  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
espy_window_save_state (EspyWindow *self)
{
  int width;
  int height;

  if (self->settings == NULL)
    return;

  /* The default size is the unmaximized size, which is what should come back. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static gboolean
espy_window_close_request (GtkWindow *window)
{
  EspyWindow *self = ESPY_WINDOW (window);

  espy_window_save_state (self);

  return GTK_WINDOW_CLASS (espy_window_parent_class)->close_request (window);
}

static gboolean
espy_window_demo_mode_to_subtitle (GBinding     *binding,
                                   const GValue *from_value,
                                   GValue       *to_value,
                                   gpointer      user_data)
{
  g_value_set_string (to_value, g_value_get_boolean (from_value) ? _("Demo mode") : NULL);

  return TRUE;
}

static void
espy_window_dispose (GObject *object)
{
  EspyWindow *self = ESPY_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), ESPY_TYPE_WINDOW);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (espy_window_parent_class)->dispose (object);
}

static void
espy_window_class_init (EspyWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = espy_window_dispose;

  window_class->close_request = espy_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, status_page);
}

static void
espy_window_init (EspyWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = espy_window_create_settings ();
  espy_window_load_state (self);
}

EspyWindow *
espy_window_new (EspyApplication *application)
{
  EspyWindow *self;

  g_return_val_if_fail (ESPY_IS_APPLICATION (application), NULL);

  self = g_object_new (ESPY_TYPE_WINDOW,
                       "application", application,
                       NULL);

  g_object_bind_property_full (application, "demo-mode",
                               self->window_title, "subtitle",
                               G_BINDING_SYNC_CREATE,
                               espy_window_demo_mode_to_subtitle,
                               NULL, NULL, NULL);

  return self;
}
