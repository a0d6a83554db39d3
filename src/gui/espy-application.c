/* espy-application.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "espy-application.h"
#include "espy-demo.h"
#include "espy-device-feeds.h"
#include "espy-preferences-window.h"
#include "espy-window.h"

struct _EspyApplication
{
  AdwApplication      parent_instance;

  gboolean            demo_mode;
  gboolean            sources_started;

  /* NULL when the schema is not installed. */
  GSettings          *settings;
  EspyDeviceStore    *store;
  EspyInstallManager *install_manager;
  EspyManualDevices  *manual_devices;
  EspyDiscovery      *discovery;
  EspyDemo           *demo;
  /* Every install attempt, for the troubleshooting view. */
  EspyHistory        *history;

  EspyConfigFolder   *config_folder;
  /* The folder being opened: the last one asked for wins. */
  EspyConfigFolder   *pending_folder;
  /* Config file path (the store key) -> the EspyDeviceConfig last fed. */
  GHashTable         *config_keys;
  /* EspyLogSession * (weak): the logs views' streams, whose last lines an
   * install for the same device records when it fails. */
  GPtrArray          *log_sessions;
};

G_DEFINE_FINAL_TYPE (EspyApplication, espy_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_DEMO_MODE,
  PROP_CONFIG_FOLDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const GOptionEntry option_entries[] = {
  { "demo", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Show simulated devices instead of the network"), NULL },
  { NULL }
};

/* --- settings ---------------------------------------------------------------- */

static GSettings *
espy_application_create_settings (void)
{
  GSettingsSchemaSource *source;
  g_autoptr(GSettingsSchemaSource) build_source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autofree char *exe = NULL;

  /* g_settings_new() aborts on a missing schema; a developer running
   * ./build/src/gui/espy without installing should still get a window. */
  source = g_settings_schema_source_get_default ();
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);

  /* The build tree compiles the schema into build/data. */
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (schema == NULL && exe != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (exe);
      g_autofree char *data = g_build_filename (dir, "..", "..", "data", NULL);

      if (g_file_test (data, G_FILE_TEST_IS_DIR))
        build_source = g_settings_schema_source_new_from_directory (data, source, FALSE, NULL);
      if (build_source != NULL)
        schema = g_settings_schema_source_lookup (build_source, APP_ID, FALSE);
    }

  if (schema == NULL)
    {
      g_debug ("GSettings schema %s not installed; preferences are not saved", APP_ID);
      return NULL;
    }

  return g_settings_new_full (schema, NULL, NULL);
}

/* --- configuration folder ------------------------------------------------------ */

static void
espy_application_sync_config_folder (EspyApplication *self)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GListModel *configs = G_LIST_MODEL (self->config_folder);
  guint n = g_list_model_get_n_items (configs);
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDeviceConfig) config = g_list_model_get_item (configs, i);
      char *path = g_file_get_path (espy_device_config_get_file (config));

      g_hash_table_add (seen, path);

      /* Same digest, same object: only changed configs are fed again. */
      if (g_hash_table_lookup (self->config_keys, path) != config)
        {
          g_autoptr(EspyDeviceInfo) info = espy_device_info_new_for_config (config);

          if (espy_device_store_update (self->store, ESPY_DEVICE_SOURCE_CONFIG, path, info))
            g_hash_table_insert (self->config_keys, g_strdup (path), g_object_ref (config));
        }
    }

  g_hash_table_iter_init (&iter, self->config_keys);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (seen, key))
      {
        espy_device_store_remove (self->store, ESPY_DEVICE_SOURCE_CONFIG, key);
        g_hash_table_iter_remove (&iter);
      }
}

static void
espy_application_detach_config_folder (EspyApplication *self)
{
  GHashTableIter iter;
  gpointer key;

  if (self->config_folder == NULL)
    return;

  g_signal_handlers_disconnect_by_func (self->config_folder, espy_application_sync_config_folder, self);
  g_hash_table_iter_init (&iter, self->config_keys);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    espy_device_store_remove (self->store, ESPY_DEVICE_SOURCE_CONFIG, key);
  g_hash_table_remove_all (self->config_keys);
  g_clear_object (&self->config_folder);
}

static void
config_folder_loaded_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EspyApplication *self = g_task_get_source_object (task);
  EspyConfigFolder *folder = ESPY_CONFIG_FOLDER (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (!espy_config_folder_load_finish (folder, result, &error))
    {
      if (self->pending_folder == folder)
        g_clear_object (&self->pending_folder);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (self->pending_folder != folder)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("Another folder was chosen meanwhile"));
      return;
    }

  espy_application_detach_config_folder (self);
  self->config_folder = g_steal_pointer (&self->pending_folder);
  g_signal_connect_swapped (self->config_folder, "changed",
                            G_CALLBACK (espy_application_sync_config_folder), self);
  espy_application_sync_config_folder (self);

  path = g_file_get_path (espy_config_folder_get_directory (folder));
  if (self->settings != NULL && path != NULL)
    {
      g_autofree char *saved = g_settings_get_string (self->settings, "config-folder");

      if (g_strcmp0 (saved, path) != 0)
        g_settings_set_string (self->settings, "config-folder", path);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONFIG_FOLDER]);
  g_task_return_boolean (task, TRUE);
}

void
espy_application_open_config_folder_async (EspyApplication     *self,
                                           GFile               *folder,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ESPY_IS_APPLICATION (self));
  g_return_if_fail (G_IS_FILE (folder));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_application_open_config_folder_async);

  g_set_object (&self->pending_folder, NULL);
  self->pending_folder = espy_config_folder_new (folder);
  espy_config_folder_load_async (self->pending_folder, cancellable,
                                 config_folder_loaded_cb, g_steal_pointer (&task));
}

gboolean
espy_application_open_config_folder_finish (EspyApplication  *self,
                                            GAsyncResult     *result,
                                            GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
startup_folder_opened_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!espy_application_open_config_folder_finish (ESPY_APPLICATION (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not read the configuration folder: %s", error->message);
}

/* --- mDNS -------------------------------------------------------------------- */

/* Feeds what mDNS announces into the store, under the record's name. */
static void
espy_application_attach_discovery (EspyApplication *self)
{
  self->discovery = espy_discovery_new ();
  espy_device_store_follow_discovery (self->store, self->discovery);
  espy_discovery_start (self->discovery);
}

/* --- sources ------------------------------------------------------------------ */

static void
espy_application_start_sources (EspyApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;

  if (self->sources_started)
    return;
  self->sources_started = TRUE;

  if (self->demo_mode)
    {
      /* Only the simulated devices: nothing read from or written to the
       * user's folders, and no real device reached. */
      self->demo = espy_demo_new (self->store);
      if (!espy_demo_start (self->demo, &error))
        g_warning ("Demo mode could not start its devices: %s", error->message);
      return;
    }

  espy_device_store_detect_esphome_version (self->store);

  if (!espy_manual_devices_load (self->manual_devices, &error))
    g_warning ("%s", error->message);
  espy_device_store_set_manual_devices (self->store, self->manual_devices);

  espy_application_attach_discovery (self);

  if (self->settings != NULL)
    folder = g_settings_get_string (self->settings, "config-folder");
  if (folder != NULL && *folder != '\0')
    {
      g_autoptr(GFile) file = g_file_new_for_path (folder);

      espy_application_open_config_folder_async (self, file, NULL, startup_folder_opened_cb, NULL);
    }
}

/* --- installs ------------------------------------------------------------------ */

static void
history_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!espy_history_load_finish (ESPY_HISTORY (object), result, &error))
    g_warning ("Could not read the install history: %s", error->message);
}

/* Created on first use: by then the command line said whether this is a
 * demo, whose installs stay out of the user's real history. */
static EspyHistory *
ensure_history (EspyApplication *self)
{
  g_autofree char *path = NULL;

  if (self->history != NULL)
    return self->history;
  if (self->demo_mode)
    path = g_build_filename (g_get_user_runtime_dir (), "espy-demo-history.json", NULL);
  self->history = espy_history_new (path);
  espy_history_load_async (self->history, NULL, history_loaded_cb, NULL);
  return self->history;
}

/* Every finished attempt goes into the history, with the device's log
 * lines around a failure; secrets redacted there (and by the job). */
static void
record_attempt_cb (EspyApplication    *self,
                   EspyInstallJob     *job,
                   EspyInstallManager *manager)
{
  EspyInstallAttempt *attempt = espy_install_job_get_attempt (job);

  if (attempt != NULL)
    espy_history_add (ensure_history (self), attempt, espy_install_job_get_device_log (job));
}

static void
log_session_gone_cb (gpointer  data,
                     GObject  *where_the_session_was)
{
  EspyApplication *self = data;

  g_ptr_array_remove_fast (self->log_sessions, where_the_session_was);
}

void
espy_application_watch_log_session (EspyApplication *self,
                                    EspyLogSession  *session)
{
  g_return_if_fail (ESPY_IS_APPLICATION (self));
  g_return_if_fail (ESPY_IS_LOG_SESSION (session));

  if (g_ptr_array_find (self->log_sessions, session, NULL))
    return;
  g_ptr_array_add (self->log_sessions, session);
  g_object_weak_ref (G_OBJECT (session), log_session_gone_cb, self);
}

/* A job leaving the queue gets the device's open log stream, if any: the
 * manager pauses that stream for the upload, and the job records its last
 * lines should the install fail. */
static void
job_started_cb (EspyApplication    *self,
                EspyInstallJob     *job,
                EspyInstallManager *manager)
{
  const char *name = espy_install_job_get_device_name (job);

  if (espy_install_job_get_state (job) != ESPY_INSTALL_STATE_PENDING)
    return;
  for (guint i = 0; i < self->log_sessions->len; i++)
    {
      EspyLogSession *session = g_ptr_array_index (self->log_sessions, i);

      if (g_ascii_strcasecmp (espy_log_session_get_name (session), name) == 0)
        {
          espy_install_job_set_log_session (job, session);
          return;
        }
    }
}

static void
job_finished_cb (EspyApplication    *self,
                 EspyInstallJob     *job,
                 EspyInstallManager *manager)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *id = NULL;
  g_autofree char *body = NULL;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  EspyDevice *device = espy_install_job_get_device (job);
  const char *display_name = espy_device_get_display_name (device);
  const GError *error;

  /* Whoever looks at the window sees the card already. */
  if (window != NULL && gtk_window_is_active (window))
    return;

  switch (espy_install_job_get_state (job))
    {
    case ESPY_INSTALL_STATE_SUCCEEDED:
      /* Translators: %s is a device name */
      title = g_strdup_printf (_("%s Updated"), display_name);
      if (espy_install_job_get_new_version (job) != NULL)
        /* Translators: %s is an ESPHome version */
        body = g_strdup_printf (_("It runs ESPHome %s now"), espy_install_job_get_new_version (job));
      else
        body = g_strdup (_("It restarted with the new firmware"));
      break;

    case ESPY_INSTALL_STATE_FAILED:
      error = espy_install_job_get_error (job);
      /* Translators: %s is a device name */
      title = g_strdup_printf (_("Could Not Update %s"), display_name);
      body = g_strdup (error != NULL ? error->message : _("The install failed"));
      break;

    case ESPY_INSTALL_STATE_CANCELLED:
    case ESPY_INSTALL_STATE_PENDING:
    case ESPY_INSTALL_STATE_PREPARING:
    case ESPY_INSTALL_STATE_CONNECTING:
    case ESPY_INSTALL_STATE_UPLOADING:
    case ESPY_INSTALL_STATE_REBOOTING:
    case ESPY_INSTALL_STATE_VERIFYING:
    default:
      return;
    }

  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_default_action_and_target (notification, "app.show-device", "s",
                                                espy_install_job_get_device_name (job));
  id = g_strconcat ("install-", espy_install_job_get_device_name (job), NULL);
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

/* --- actions ------------------------------------------------------------------- */

static void
espy_application_quit_action (GSimpleAction *action,
                              GVariant      *parameter,
                              gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GList *windows;
  const GList *l;

  /* Close rather than g_application_quit() so every window runs its
   * close-request handler (saving its state); running installs keep the
   * application alive until they end. */
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
  EspyApplication *self = ESPY_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *preferences = espy_preferences_window_new (parent, self);

  gtk_window_present (GTK_WINDOW (preferences));
}

static void
espy_application_show_device_action (GSimpleAction *action,
                                     GVariant      *parameter,
                                     gpointer       user_data)
{
  EspyApplication *self = ESPY_APPLICATION (user_data);
  GtkWindow *window;

  g_application_activate (G_APPLICATION (self));
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.show-device", parameter);
}

static const GActionEntry app_actions[] = {
  { "quit", espy_application_quit_action },
  { "about", espy_application_about_action },
  { "preferences", espy_application_preferences_action },
  { "show-device", espy_application_show_device_action, "s" },
};

/* --- GApplication ----------------------------------------------------------------- */

static void
espy_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Primary>q", NULL };
  static const char *preferences_accels[] = { "<Primary>comma", NULL };
  EspyApplication *self = ESPY_APPLICATION (app);

  G_APPLICATION_CLASS (espy_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions,
                                   G_N_ELEMENTS (app_actions),
                                   self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);

  self->settings = espy_application_create_settings ();

  self->install_manager = espy_install_manager_new ();
  if (self->settings != NULL)
    g_settings_bind (self->settings, "parallel-installs",
                     self->install_manager, "max-parallel",
                     G_SETTINGS_BIND_GET);
  /* Installs outlive the window that started them. */
  espy_install_manager_hold_application (self->install_manager, app);
  g_signal_connect_object (self->install_manager, "job-finished",
                           G_CALLBACK (job_finished_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->install_manager, "job-finished",
                           G_CALLBACK (record_attempt_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->install_manager, "job-started",
                           G_CALLBACK (job_started_cb), self, G_CONNECT_SWAPPED);
}

static void
espy_application_shutdown (GApplication *app)
{
  EspyApplication *self = ESPY_APPLICATION (app);

  if (self->install_manager != NULL)
    {
      espy_install_manager_cancel_all (self->install_manager);
      espy_install_manager_hold_application (self->install_manager, NULL);
    }
  if (self->discovery != NULL)
    espy_discovery_stop (self->discovery);
  if (self->demo != NULL)
    espy_demo_stop (self->demo);
  espy_application_detach_config_folder (self);

  G_APPLICATION_CLASS (espy_application_parent_class)->shutdown (app);
}

static void
espy_application_activate (GApplication *app)
{
  EspyApplication *self = ESPY_APPLICATION (app);
  GtkWindow *window;

  espy_application_start_sources (self);

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
espy_application_dispose (GObject *object)
{
  EspyApplication *self = ESPY_APPLICATION (object);

  g_clear_object (&self->demo);
  g_clear_object (&self->history);
  g_clear_object (&self->discovery);
  g_clear_object (&self->pending_folder);
  g_clear_object (&self->config_folder);
  g_clear_pointer (&self->config_keys, g_hash_table_unref);
  if (self->log_sessions != NULL)
    {
      for (guint i = 0; i < self->log_sessions->len; i++)
        g_object_weak_unref (g_ptr_array_index (self->log_sessions, i), log_session_gone_cb, self);
      g_clear_pointer (&self->log_sessions, g_ptr_array_unref);
    }
  g_clear_object (&self->install_manager);
  g_clear_object (&self->manual_devices);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (espy_application_parent_class)->dispose (object);
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

    case PROP_CONFIG_FOLDER:
      g_value_set_object (value, self->config_folder);
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

  object_class->dispose = espy_application_dispose;
  object_class->get_property = espy_application_get_property;

  app_class->activate = espy_application_activate;
  app_class->command_line = espy_application_command_line;
  app_class->startup = espy_application_startup;
  app_class->shutdown = espy_application_shutdown;

  /**
   * EspyApplication:demo-mode:
   *
   * Whether the application shows simulated devices (`--demo`).
   */
  properties[PROP_DEMO_MODE] =
    g_param_spec_boolean ("demo-mode", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * EspyApplication:config-folder:
   *
   * The configuration folder whose devices are in the store, or %NULL.
   */
  properties[PROP_CONFIG_FOLDER] =
    g_param_spec_object ("config-folder", NULL, NULL,
                         ESPY_TYPE_CONFIG_FOLDER,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
espy_application_init (EspyApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Find ESPHome devices and update their firmware."));

  /* GTK-free and cheap: ready before startup so nothing has to check. */
  self->store = espy_device_store_new ();
  self->log_sessions = g_ptr_array_new ();
  self->manual_devices = espy_manual_devices_new (NULL);
  self->config_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
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

void
espy_application_set_demo_mode (EspyApplication *self,
                                gboolean         demo_mode)
{
  g_return_if_fail (ESPY_IS_APPLICATION (self));

  demo_mode = !!demo_mode;
  if (self->demo_mode == demo_mode)
    return;

  /* The sources are chosen once, at the first activation. */
  if (self->sources_started)
    {
      g_warning ("Demo mode can only be chosen before Espy shows its window");
      return;
    }

  self->demo_mode = demo_mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEMO_MODE]);
}

GSettings *
espy_application_get_settings (EspyApplication *self)
{
  g_return_val_if_fail (ESPY_IS_APPLICATION (self), NULL);

  return self->settings;
}

EspyDeviceStore *
espy_application_get_device_store (EspyApplication *self)
{
  g_return_val_if_fail (ESPY_IS_APPLICATION (self), NULL);

  return self->store;
}

EspyInstallManager *
espy_application_get_install_manager (EspyApplication *self)
{
  g_return_val_if_fail (ESPY_IS_APPLICATION (self), NULL);

  return self->install_manager;
}

EspyManualDevices *
espy_application_get_manual_devices (EspyApplication *self)
{
  g_return_val_if_fail (ESPY_IS_APPLICATION (self), NULL);

  return self->manual_devices;
}

EspyDiscovery *
espy_application_get_discovery (EspyApplication *self)
{
  g_return_val_if_fail (ESPY_IS_APPLICATION (self), NULL);

  return self->discovery;
}

EspyConfigFolder *
espy_application_get_config_folder (EspyApplication *self)
{
  g_return_val_if_fail (ESPY_IS_APPLICATION (self), NULL);

  return self->config_folder;
}

EspyHistory *
espy_application_get_history (EspyApplication *self)
{
  g_return_val_if_fail (ESPY_IS_APPLICATION (self), NULL);

  return ensure_history (self);
}

EspyDemo *
espy_application_get_demo (EspyApplication *self)
{
  g_return_val_if_fail (ESPY_IS_APPLICATION (self), NULL);

  return self->demo;
}

gboolean
espy_application_add_device (EspyApplication       *self,
                             const EspyDeviceInfo  *entry,
                             GError               **error)
{
  g_return_val_if_fail (ESPY_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);

  if (self->demo != NULL)
    return espy_demo_add_device (self->demo, entry, error);

  return espy_manual_devices_add (self->manual_devices, entry, error);
}

static EspyDeviceConfig *
espy_application_lookup_config (EspyApplication *self,
                                EspyDevice      *device)
{
  const char *path = espy_device_get_config_path (device);
  g_autoptr(GFile) file = NULL;

  if (self->config_folder == NULL || path == NULL)
    return NULL;

  file = g_file_new_for_path (path);
  return espy_config_folder_lookup_file (self->config_folder, file);
}

GFile *
espy_application_dup_firmware (EspyApplication *self,
                               EspyDevice      *device)
{
  EspyDeviceConfig *config;
  const char *bin;

  g_return_val_if_fail (ESPY_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  if (self->demo != NULL)
    return espy_demo_dup_firmware (self->demo, device);

  config = espy_application_lookup_config (self, device);
  if (config == NULL)
    return NULL;

  bin = espy_device_config_get_firmware_bin_path (config);
  return bin != NULL ? g_file_new_for_path (bin) : NULL;
}

char *
espy_application_dup_ota_password (EspyApplication *self,
                                   EspyDevice      *device)
{
  EspyDeviceConfig *config;
  const EspyConfigOta *ota;

  g_return_val_if_fail (ESPY_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  if (self->demo != NULL)
    return espy_demo_dup_password (self->demo, device);

  config = espy_application_lookup_config (self, device);
  if (config == NULL)
    return NULL;

  ota = espy_device_config_find_ota (config, "esphome");
  return ota != NULL ? g_strdup (ota->password) : NULL;
}

EspyInstallTransport
espy_application_get_default_transport (EspyApplication *self)
{
  g_autofree char *nick = NULL;

  g_return_val_if_fail (ESPY_IS_APPLICATION (self), ESPY_INSTALL_TRANSPORT_AUTO);

  if (self->settings == NULL)
    return ESPY_INSTALL_TRANSPORT_OTA;

  nick = g_settings_get_string (self->settings, "default-transport");
  if (g_strcmp0 (nick, "web") == 0)
    return ESPY_INSTALL_TRANSPORT_WEB;
  if (g_strcmp0 (nick, "auto") == 0)
    return ESPY_INSTALL_TRANSPORT_AUTO;
  return ESPY_INSTALL_TRANSPORT_OTA;
}
