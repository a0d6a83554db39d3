/* espy-config-folder.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-config-folder.h"

#include <string.h>

struct _EspyConfigFolder
{
  GObject       parent_instance;

  GFile        *directory;
  GPtrArray    *configs;       /* EspyDeviceConfig, sorted by file name */
  GPtrArray    *errors;        /* GError */
  GPtrArray    *error_files;   /* GFile, parallel to errors */
  GHashTable   *monitors;      /* directory path -> GFileMonitor */
  GCancellable *cancellable;   /* cancelled on dispose */
  guint         reload_id;
  guint64       started;       /* loads started */
  guint64       applied;       /* the generation last applied */
  gboolean      loaded;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EspyConfigFolder, espy_config_folder, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* What a worker thread hands back. */
typedef struct {
  guint64    generation;
  char      *path;
  GPtrArray *configs;
  GPtrArray *errors;
  GPtrArray *error_files;
  GPtrArray *watch_dirs;       /* char* */
} LoadData;

static void
load_data_free (gpointer data)
{
  LoadData *load = data;

  g_free (load->path);
  g_clear_pointer (&load->configs, g_ptr_array_unref);
  g_clear_pointer (&load->errors, g_ptr_array_unref);
  g_clear_pointer (&load->error_files, g_ptr_array_unref);
  g_clear_pointer (&load->watch_dirs, g_ptr_array_unref);
  g_free (load);
}

static gboolean
is_device_file (const char *name)
{
  if (name[0] == '.')
    return FALSE;
  if (strcmp (name, "secrets.yaml") == 0 || strcmp (name, "secrets.yml") == 0)
    return FALSE;
  return g_str_has_suffix (name, ".yaml") || g_str_has_suffix (name, ".yml");
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
add_watch_dir (GPtrArray  *dirs,
               const char *dir)
{
  for (guint i = 0; i < dirs->len; i++)
    if (strcmp (g_ptr_array_index (dirs, i), dir) == 0)
      return;
  g_ptr_array_add (dirs, g_strdup (dir));
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *load = task_data;
  g_autoptr(GFile) dir = g_file_new_for_path (load->path);
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *storage = g_build_filename (load->path, ".esphome", "storage", NULL);
  GError *error = NULL;

  enumerator = g_file_enumerate_children (dir,
                                          G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                          G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                          G_FILE_QUERY_INFO_NONE, cancellable, &error);
  if (enumerator == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  for (;;)
    {
      GFileInfo *info = NULL;
      const char *name;

      if (!g_file_enumerator_iterate (enumerator, &info, NULL, cancellable, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      if (info == NULL)
        break;
      name = g_file_info_get_name (info);
      /* Sub-folders, sockets and the like are not configs. */
      if (!is_device_file (name) || g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        continue;
      g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names);

  load->configs = g_ptr_array_new_with_free_func (g_object_unref);
  load->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  load->error_files = g_ptr_array_new_with_free_func (g_object_unref);
  load->watch_dirs = g_ptr_array_new_with_free_func (g_free);
  add_watch_dir (load->watch_dirs, load->path);
  if (g_file_test (storage, G_FILE_TEST_IS_DIR))
    add_watch_dir (load->watch_dirs, storage);

  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GFile) file = g_file_get_child (dir, g_ptr_array_index (names, i));
      g_autoptr(EspyDeviceConfig) config = NULL;
      const char * const *included;

      if (g_task_return_error_if_cancelled (task))
        return;
      config = espy_device_config_new_for_file (file, cancellable, &error);
      if (config == NULL)
        {
          g_ptr_array_add (load->errors, g_steal_pointer (&error));
          g_ptr_array_add (load->error_files, g_steal_pointer (&file));
          continue;
        }
      /* Watch where includes live too, so editing common/wifi.yaml reloads. */
      included = espy_device_config_get_included_files (config);
      for (guint k = 0; included != NULL && included[k] != NULL; k++)
        {
          g_autofree char *parent = g_path_get_dirname (included[k]);

          add_watch_dir (load->watch_dirs, parent);
        }
      g_ptr_array_add (load->configs, g_steal_pointer (&config));
    }
  g_task_return_boolean (task, TRUE);
}

static void
monitor_changed_cb (GFileMonitor      *monitor,
                    GFile             *file,
                    GFile             *other_file,
                    GFileMonitorEvent  event,
                    gpointer           user_data);

static void
cancel_monitor (gpointer key,
                gpointer value,
                gpointer user_data)
{
  g_file_monitor_cancel (value);
}

static void
update_monitors (EspyConfigFolder *self,
                 GPtrArray        *watch_dirs)
{
  g_autoptr(GHashTable) monitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);

  for (guint i = 0; i < watch_dirs->len; i++)
    {
      const char *path = g_ptr_array_index (watch_dirs, i);
      GFileMonitor *monitor = NULL;
      char *old_key = NULL;

      if (g_hash_table_steal_extended (self->monitors, path, (gpointer *) &old_key, (gpointer *) &monitor))
        g_free (old_key);
      else
        {
          g_autoptr(GFile) dir = g_file_new_for_path (path);
          g_autoptr(GError) error = NULL;

          monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
          if (monitor == NULL)
            {
              g_debug ("Cannot watch %s: %s", path, error->message);
              continue;
            }
          g_signal_connect_object (monitor, "changed", G_CALLBACK (monitor_changed_cb), self, 0);
        }
      g_hash_table_insert (monitors, g_strdup (path), monitor);
    }
  /* Monitors of directories no longer needed go with the old table. */
  g_hash_table_foreach (self->monitors, cancel_monitor, NULL);
  g_hash_table_unref (self->monitors);
  self->monitors = g_steal_pointer (&monitors);
}

static gboolean
same_config (EspyDeviceConfig *a,
             EspyDeviceConfig *b)
{
  return strcmp (espy_device_config_get_file_name (a), espy_device_config_get_file_name (b)) == 0
         && g_strcmp0 (espy_device_config_get_digest (a), espy_device_config_get_digest (b)) == 0;
}

static void
apply (EspyConfigFolder *self,
       LoadData         *load)
{
  g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) old = NULL;
  guint prefix = 0;
  guint suffix = 0;

  /* Unchanged configs keep their object, so views keep their rows. */
  for (guint i = 0; i < load->configs->len; i++)
    {
      EspyDeviceConfig *config = g_ptr_array_index (load->configs, i);
      EspyDeviceConfig *keep = config;

      for (guint j = 0; j < self->configs->len; j++)
        if (same_config (g_ptr_array_index (self->configs, j), config))
          {
            keep = g_ptr_array_index (self->configs, j);
            break;
          }
      g_ptr_array_add (next, g_object_ref (keep));
    }

  while (prefix < next->len && prefix < self->configs->len
         && g_ptr_array_index (next, prefix) == g_ptr_array_index (self->configs, prefix))
    prefix++;
  while (suffix < next->len - prefix && suffix < self->configs->len - prefix
         && g_ptr_array_index (next, next->len - 1 - suffix)
            == g_ptr_array_index (self->configs, self->configs->len - 1 - suffix))
    suffix++;

  old = g_steal_pointer (&self->configs);
  self->configs = g_steal_pointer (&next);
  g_ptr_array_unref (self->errors);
  self->errors = g_steal_pointer (&load->errors);
  g_ptr_array_unref (self->error_files);
  self->error_files = g_steal_pointer (&load->error_files);
  self->applied = load->generation;
  self->loaded = TRUE;

  update_monitors (self, load->watch_dirs);

  if (prefix + suffix < old->len || prefix + suffix < self->configs->len)
    g_list_model_items_changed (G_LIST_MODEL (self), prefix,
                                old->len - prefix - suffix,
                                self->configs->len - prefix - suffix);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
load_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  EspyConfigFolder *self = ESPY_CONFIG_FOLDER (source);
  g_autoptr(GTask) outer = user_data;
  GTask *task = G_TASK (result);
  LoadData *load = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (task, &error))
    {
      if (outer != NULL)
        g_task_return_error (outer, error);
      else
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning ("Could not read the configuration folder %s: %s", load->path, error->message);
          g_error_free (error);
        }
      return;
    }

  /* An older load finishing after a newer one was applied changes nothing. */
  if (load->generation > self->applied)
    apply (self, load);
  if (outer != NULL)
    g_task_return_boolean (outer, TRUE);
}

static void
start_load (EspyConfigFolder *self,
            GCancellable     *cancellable,
            GTask            *outer)
{
  g_autoptr(GTask) task = NULL;
  LoadData *load = g_new0 (LoadData, 1);

  load->generation = ++self->started;
  load->path = g_file_get_path (self->directory);
  task = g_task_new (self, cancellable != NULL ? cancellable : self->cancellable, load_done_cb, outer);
  g_task_set_source_tag (task, start_load);
  g_task_set_task_data (task, load, load_data_free);
  if (load->path == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "The configuration folder must be a local folder");
      return;
    }
  g_task_run_in_thread (task, load_thread);
}

static gboolean
reload_timeout_cb (gpointer user_data)
{
  EspyConfigFolder *self = user_data;

  self->reload_id = 0;
  start_load (self, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
monitor_changed_cb (GFileMonitor      *monitor,
                    GFile             *file,
                    GFile             *other_file,
                    GFileMonitorEvent  event,
                    gpointer           user_data)
{
  EspyConfigFolder *self = user_data;

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_UNMOUNTED:
      return;
    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED:
    case G_FILE_MONITOR_EVENT_RENAMED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
    default:
      break;
    }

  /* Bursts (an editor's temp file + rename) become one reload. */
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (ESPY_CONFIG_FOLDER_RELOAD_DELAY_MS, reload_timeout_cb, self);
}

static void
espy_config_folder_dispose (GObject *object)
{
  EspyConfigFolder *self = (EspyConfigFolder *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  if (self->monitors != NULL)
    {
      g_hash_table_foreach (self->monitors, cancel_monitor, NULL);
      g_hash_table_remove_all (self->monitors);
    }

  G_OBJECT_CLASS (espy_config_folder_parent_class)->dispose (object);
}

static void
espy_config_folder_finalize (GObject *object)
{
  EspyConfigFolder *self = (EspyConfigFolder *) object;

  g_clear_object (&self->directory);
  g_clear_pointer (&self->configs, g_ptr_array_unref);
  g_clear_pointer (&self->errors, g_ptr_array_unref);
  g_clear_pointer (&self->error_files, g_ptr_array_unref);
  g_clear_pointer (&self->monitors, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (espy_config_folder_parent_class)->finalize (object);
}

static void
espy_config_folder_class_init (EspyConfigFolderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_config_folder_dispose;
  object_class->finalize = espy_config_folder_finalize;

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
espy_config_folder_init (EspyConfigFolder *self)
{
  self->configs = g_ptr_array_new_with_free_func (g_object_unref);
  self->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  self->error_files = g_ptr_array_new_with_free_func (g_object_unref);
  self->monitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->cancellable = g_cancellable_new ();
}

static GType
espy_config_folder_get_item_type (GListModel *model)
{
  return ESPY_TYPE_DEVICE_CONFIG;
}

static guint
espy_config_folder_get_n_items (GListModel *model)
{
  return ESPY_CONFIG_FOLDER (model)->configs->len;
}

static gpointer
espy_config_folder_get_item (GListModel *model,
                             guint       position)
{
  EspyConfigFolder *self = ESPY_CONFIG_FOLDER (model);

  if (position >= self->configs->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->configs, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = espy_config_folder_get_item_type;
  iface->get_n_items = espy_config_folder_get_n_items;
  iface->get_item = espy_config_folder_get_item;
}

EspyConfigFolder *
espy_config_folder_new (GFile *directory)
{
  EspyConfigFolder *self;

  g_return_val_if_fail (G_IS_FILE (directory), NULL);

  self = g_object_new (ESPY_TYPE_CONFIG_FOLDER, NULL);
  self->directory = g_object_ref (directory);
  return self;
}

GFile *
espy_config_folder_get_directory (EspyConfigFolder *self)
{
  g_return_val_if_fail (ESPY_IS_CONFIG_FOLDER (self), NULL);
  return self->directory;
}

void
espy_config_folder_load_async (EspyConfigFolder    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *outer;

  g_return_if_fail (ESPY_IS_CONFIG_FOLDER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, espy_config_folder_load_async);
  /* An explicit load supersedes a pending debounced one. */
  g_clear_handle_id (&self->reload_id, g_source_remove);
  start_load (self, cancellable, outer);
}

gboolean
espy_config_folder_load_finish (EspyConfigFolder  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (ESPY_IS_CONFIG_FOLDER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
espy_config_folder_is_loaded (EspyConfigFolder *self)
{
  g_return_val_if_fail (ESPY_IS_CONFIG_FOLDER (self), FALSE);
  return self->loaded;
}

GPtrArray *
espy_config_folder_get_errors (EspyConfigFolder *self)
{
  g_return_val_if_fail (ESPY_IS_CONFIG_FOLDER (self), NULL);
  return self->errors;
}

const GError *
espy_config_folder_get_error_for_file (EspyConfigFolder *self,
                                       GFile            *file)
{
  g_return_val_if_fail (ESPY_IS_CONFIG_FOLDER (self), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  for (guint i = 0; i < self->error_files->len; i++)
    if (g_file_equal (g_ptr_array_index (self->error_files, i), file))
      return g_ptr_array_index (self->errors, i);
  return NULL;
}

EspyDeviceConfig *
espy_config_folder_lookup_name (EspyConfigFolder *self,
                                const char       *node_name)
{
  g_return_val_if_fail (ESPY_IS_CONFIG_FOLDER (self), NULL);
  g_return_val_if_fail (node_name != NULL, NULL);

  /* An exact name beats a mac-suffix match. */
  for (guint i = 0; i < self->configs->len; i++)
    {
      EspyDeviceConfig *config = g_ptr_array_index (self->configs, i);

      if (g_ascii_strcasecmp (espy_device_config_get_name (config), node_name) == 0)
        return config;
    }
  for (guint i = 0; i < self->configs->len; i++)
    {
      EspyDeviceConfig *config = g_ptr_array_index (self->configs, i);

      if (espy_device_config_matches_name (config, node_name))
        return config;
    }
  return NULL;
}

EspyDeviceConfig *
espy_config_folder_lookup_file (EspyConfigFolder *self,
                                GFile            *file)
{
  g_return_val_if_fail (ESPY_IS_CONFIG_FOLDER (self), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  for (guint i = 0; i < self->configs->len; i++)
    {
      EspyDeviceConfig *config = g_ptr_array_index (self->configs, i);

      if (g_file_equal (espy_device_config_get_file (config), file))
        return config;
    }
  return NULL;
}
