/* espy-application.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "espy-application.h"
#include "espy-window.h"

struct _EspyApplication
{
  AdwApplication parent_instance;

  gboolean demo_mode;
};

G_DEFINE_FINAL_TYPE (EspyApplication, espy_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_DEMO_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const GOptionEntry option_entries[] = {
  { "demo", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Show simulated devices instead of the network"), NULL },
  { NULL }
};

static void
espy_application_set_demo_mode (EspyApplication *self,
                                gboolean         demo_mode)
{
  demo_mode = !!demo_mode;

  if (self->demo_mode == demo_mode)
    return;

  self->demo_mode = demo_mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEMO_MODE]);
}

static void
espy_application_activate (GApplication *app)
{
  EspyApplication *self = ESPY_APPLICATION (app);
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL)
    window = GTK_WINDOW (espy_window_new (self));

  gtk_window_present (window);
}

/* Options are read here rather than in handle_local_options so that a second
 * `espy --demo` reaches the instance that is already running. */
static int
espy_application_command_line (GApplication            *app,
                               GApplicationCommandLine *command_line)
{
  EspyApplication *self = ESPY_APPLICATION (app);
  GVariantDict *options;

  options = g_application_command_line_get_options_dict (command_line);
  if (g_variant_dict_contains (options, "demo"))
    espy_application_set_demo_mode (self, TRUE);

  g_application_activate (app);

  return EXIT_SUCCESS;
}

static void
espy_application_quit_action (GSimpleAction *action,
                              GVariant      *parameter,
                              gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GList *windows;
  const GList *l;

  /* Close rather than g_application_quit() so every window runs its
   * close-request handler (saving its state, or refusing while an install
   * is running); the application ends with its last window. */
  windows = g_list_copy (gtk_application_get_windows (app));
  for (l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);
}

static void
espy_application_about_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  static const char *developers[] = { "The Espy authors", NULL };
  EspyApplication *self = ESPY_APPLICATION (user_data);
  GtkWindow *parent;
  GtkWidget *about;

  parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "modal", TRUE,
                        "application-name", _("Espy"),
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", _("The Espy authors"),
                        "developers", developers,
                        "comments", _("Find your ESPHome devices and update their firmware wirelessly."),
                        "website", "https://github.com/espy-app/espy",
                        "issue-url", "https://github.com/espy-app/espy/issues",
                        "copyright", "© 2026 The Espy authors",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: replace with your names, one per line. */
                        "translator-credits", _("translator-credits"),
                        NULL);

  gtk_window_present (GTK_WINDOW (about));
}

static void
espy_application_preferences_action (GSimpleAction *action,
                                     GVariant      *parameter,
                                     gpointer       user_data)
{
  /* The preferences window has not been written yet; the action stays
   * disabled until it is, so the menu item and <Primary>comma are inert. */
}

static const GActionEntry app_actions[] = {
  { "quit", espy_application_quit_action },
  { "about", espy_application_about_action },
  { "preferences", espy_application_preferences_action },
};

static void
espy_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Primary>q", NULL };
  static const char *preferences_accels[] = { "<Primary>comma", NULL };
  EspyApplication *self = ESPY_APPLICATION (app);
  GAction *preferences;

  G_APPLICATION_CLASS (espy_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions,
                                   G_N_ELEMENTS (app_actions),
                                   self);

  preferences = g_action_map_lookup_action (G_ACTION_MAP (self), "preferences");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (preferences), FALSE);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
}

static void
espy_application_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EspyApplication *self = ESPY_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_DEMO_MODE:
      g_value_set_boolean (value, self->demo_mode);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_application_class_init (EspyApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->get_property = espy_application_get_property;

  app_class->activate = espy_application_activate;
  app_class->command_line = espy_application_command_line;
  app_class->startup = espy_application_startup;

  /**
   * EspyApplication:demo-mode:
   *
   * Whether the application shows simulated devices (`--demo`).
   */
  properties[PROP_DEMO_MODE] =
    g_param_spec_boolean ("demo-mode", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
espy_application_init (EspyApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Find ESPHome devices and update their firmware."));
}

EspyApplication *
espy_application_new (void)
{
  return g_object_new (ESPY_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/espy/Espy",
                       NULL);
}

gboolean
espy_application_get_demo_mode (EspyApplication *self)
{
  g_return_val_if_fail (ESPY_IS_APPLICATION (self), FALSE);

  return self->demo_mode;
}
