/* espy-history.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-history.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "espy-report.h"

typedef struct {
  EspyInstallAttempt *attempt;
  char              **log_lines;
} Entry;

struct _EspyHistory {
  GObject    parent_instance;

  char      *path;
  guint      max_attempts;
  GPtrArray *entries;        /* Entry *, oldest first */
  char      *load_warning;

  /* Writes run in worker threads; each carries a generation so an older
   * snapshot never overwrites a newer one. */
  GMutex     write_lock;
  guint64    generation;     /* main thread: last snapshot taken */
  guint64    written;        /* under write_lock: last generation on disk */
};

G_DEFINE_FINAL_TYPE (EspyHistory, espy_history, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_MAX_ATTEMPTS,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_clear_pointer (&e->attempt, espy_install_attempt_unref);
  g_strfreev (e->log_lines);
  g_free (e);
}

/* --- GObject ---------------------------------------------------------------- */

static void
espy_history_finalize (GObject *object)
{
  EspyHistory *self = ESPY_HISTORY (object);

  g_free (self->path);
  g_free (self->load_warning);
  g_ptr_array_unref (self->entries);
  g_mutex_clear (&self->write_lock);
  G_OBJECT_CLASS (espy_history_parent_class)->finalize (object);
}

static void
espy_history_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  EspyHistory *self = ESPY_HISTORY (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_history_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  EspyHistory *self = ESPY_HISTORY (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      if (self->path == NULL)
        self->path = espy_history_default_path ();
      break;
    case PROP_MAX_ATTEMPTS:
      espy_history_set_max_attempts (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_history_class_init (EspyHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = espy_history_finalize;
  object_class->get_property = espy_history_get_property;
  object_class->set_property = espy_history_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL, 1, G_MAXUINT, ESPY_HISTORY_DEFAULT_MAX,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
espy_history_init (EspyHistory *self)
{
  self->max_attempts = ESPY_HISTORY_DEFAULT_MAX;
  self->entries = g_ptr_array_new_with_free_func (entry_free);
  g_mutex_init (&self->write_lock);
}

EspyHistory *
espy_history_new (const char *path)
{
  return g_object_new (ESPY_TYPE_HISTORY, "path", path, NULL);
}

char *
espy_history_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "espy", "history.json", NULL);
}

const char *
espy_history_get_path (EspyHistory *self)
{
  g_return_val_if_fail (ESPY_IS_HISTORY (self), NULL);
  return self->path;
}

static gboolean
trim (EspyHistory *self)
{
  if (self->entries->len <= self->max_attempts)
    return FALSE;
  g_ptr_array_remove_range (self->entries, 0, self->entries->len - self->max_attempts);
  return TRUE;
}

void
espy_history_set_max_attempts (EspyHistory *self,
                               guint        max_attempts)
{
  g_return_if_fail (ESPY_IS_HISTORY (self));
  max_attempts = MAX (max_attempts, 1);
  if (self->max_attempts == max_attempts)
    return;
  self->max_attempts = max_attempts;
  trim (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_ATTEMPTS]);
}

guint
espy_history_get_max_attempts (EspyHistory *self)
{
  g_return_val_if_fail (ESPY_IS_HISTORY (self), 0);
  return self->max_attempts;
}

const char *
espy_history_get_load_warning (EspyHistory *self)
{
  g_return_val_if_fail (ESPY_IS_HISTORY (self), NULL);
  return self->load_warning;
}

/* --- reading ---------------------------------------------------------------- */

typedef struct {
  GPtrArray *entries;
  char      *warning;
} LoadResult;

static void
load_result_free (LoadResult *r)
{
  g_clear_pointer (&r->entries, g_ptr_array_unref);
  g_free (r->warning);
  g_free (r);
}

static gboolean
parse_entries (const char  *text,
               gsize        len,
               GPtrArray   *entries,
               GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonNode *node;
  JsonArray *array;

  if (!json_parser_load_from_data (parser, text, (gssize) len, error))
    return FALSE;
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("it is not a JSON object"));
      return FALSE;
    }
  root = json_node_get_object (node);
  node = json_object_get_member (root, "attempts");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("it has no list of attempts"));
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      EspyInstallAttempt *attempt = espy_install_attempt_from_json (item, error);
      Entry *e;
      JsonNode *logs;

      if (attempt == NULL)
        return FALSE;
      e = g_new0 (Entry, 1);
      e->attempt = attempt;
      /* Log lines ride along in the same object; the attempt parser skips them. */
      logs = json_object_get_member (json_node_get_object (item), "log_lines");
      if (logs != NULL && JSON_NODE_HOLDS_ARRAY (logs))
        {
          JsonArray *la = json_node_get_array (logs);
          GPtrArray *lines = g_ptr_array_new ();

          for (guint k = 0; k < json_array_get_length (la); k++)
            {
              const char *line = json_array_get_string_element (la, k);

              if (line != NULL)
                g_ptr_array_add (lines, g_strdup (line));
            }
          g_ptr_array_add (lines, NULL);
          e->log_lines = (char **) g_ptr_array_free (lines, FALSE);
        }
      g_ptr_array_add (entries, e);
    }
  return TRUE;
}

/* Runs in any thread: touches nothing of SELF but the path. */
static LoadResult *
load_file (const char  *path,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  LoadResult *r = g_new0 (LoadResult, 1);

  r->entries = g_ptr_array_new_with_free_func (entry_free);
  if (!g_file_get_contents (path, &text, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return r;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Could not read the install history %s: "), path);
      load_result_free (r);
      return NULL;
    }

  if (!parse_entries (text, len, r->entries, &local_error))
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
      g_autofree char *aside = g_strdup_printf ("%s.corrupt-%s", path, stamp);

      g_ptr_array_set_size (r->entries, 0);
      if (g_rename (path, aside) == 0)
        r->warning = g_strdup_printf (_("The install history %s was damaged (%s); it was moved to %s and a new "
                                        "history was started."), path, local_error->message, aside);
      else
        r->warning = g_strdup_printf (_("The install history %s is damaged (%s) and could not be moved aside "
                                        "(%s); a new history will replace it."), path, local_error->message,
                                      g_strerror (errno));
      g_warning ("%s", r->warning);
    }
  return r;
}

static void
apply_load (EspyHistory *self,
            LoadResult  *r)
{
  g_ptr_array_unref (self->entries);
  self->entries = g_steal_pointer (&r->entries);
  g_free (self->load_warning);
  self->load_warning = g_steal_pointer (&r->warning);
  trim (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
espy_history_load (EspyHistory  *self,
                   GError      **error)
{
  LoadResult *r;

  g_return_val_if_fail (ESPY_IS_HISTORY (self), FALSE);

  r = load_file (self->path, error);
  if (r == NULL)
    return FALSE;
  apply_load (self, r);
  load_result_free (r);
  return TRUE;
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  LoadResult *r = load_file (task_data, &error);

  if (r == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, r, (GDestroyNotify) load_result_free);
}

void
espy_history_load_async (EspyHistory         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ESPY_IS_HISTORY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_history_load_async);
  g_task_set_task_data (task, g_strdup (self->path), g_free);
  g_task_run_in_thread (task, load_thread);
}

gboolean
espy_history_load_finish (EspyHistory   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  LoadResult *r;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  r = g_task_propagate_pointer (G_TASK (result), error);
  if (r == NULL)
    return FALSE;
  apply_load (self, r);
  load_result_free (r);
  return TRUE;
}

/* --- writing ---------------------------------------------------------------- */

static char *
serialize (EspyHistory *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, ESPY_HISTORY_FORMAT_VERSION);
  json_builder_set_member_name (b, "attempts");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, i);
      JsonNode *node = espy_install_attempt_to_json (e->attempt);

      if (e->log_lines != NULL)
        {
          JsonArray *la = json_array_new ();

          for (guint k = 0; e->log_lines[k] != NULL; k++)
            json_array_add_string_element (la, e->log_lines[k]);
          json_object_set_array_member (json_node_get_object (node), "log_lines", la);
        }
      json_builder_add_value (b, node);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

typedef struct {
  EspyHistory *self;   /* strong ref */
  char        *path;
  char        *text;
  guint64      generation;
} WriteJob;

static void
write_job_free (WriteJob *job)
{
  g_object_unref (job->self);
  g_free (job->path);
  g_free (job->text);
  g_free (job);
}

static gboolean
write_snapshot (WriteJob  *job,
                GError   **error)
{
  g_autofree char *dir = g_path_get_dirname (job->path);
  gboolean ok = TRUE;

  g_mutex_lock (&job->self->write_lock);
  /* A newer snapshot already made it to disk. */
  if (job->generation > job->self->written)
    {
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       _("Could not create the folder %s for the install history: %s"), dir, g_strerror (saved));
          ok = FALSE;
        }
      /* Temp file + rename: a crash leaves the old or the new file, never half. */
      else if (g_file_set_contents_full (job->path, job->text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
        job->self->written = job->generation;
      else
        ok = FALSE;
    }
  g_mutex_unlock (&job->self->write_lock);
  return ok;
}

static WriteJob *
snapshot (EspyHistory *self)
{
  WriteJob *job = g_new0 (WriteJob, 1);

  job->self = g_object_ref (self);
  job->path = g_strdup (self->path);
  job->text = serialize (self);
  job->generation = ++self->generation;
  return job;
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;

  if (!write_snapshot (task_data, &error))
    g_warning ("%s", error->message);
  g_task_return_boolean (task, TRUE);
}

gboolean
espy_history_save (EspyHistory  *self,
                   GError      **error)
{
  WriteJob *job;
  gboolean ok;

  g_return_val_if_fail (ESPY_IS_HISTORY (self), FALSE);

  job = snapshot (self);
  ok = write_snapshot (job, error);
  write_job_free (job);
  return ok;
}

static char *
redact (const char *text)
{
  return espy_report_redact (text, NULL);
}

static void
redact_field (char **field)
{
  char *tmp = redact (*field);

  g_free (*field);
  *field = tmp;
}

void
espy_history_add (EspyHistory              *self,
                  const EspyInstallAttempt *attempt,
                  const char * const       *log_lines)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GTask) task = NULL;
  Entry *e;

  g_return_if_fail (ESPY_IS_HISTORY (self));
  g_return_if_fail (attempt != NULL);

  /* A private copy: the job may still change its own. */
  node = espy_install_attempt_to_json (attempt);
  e = g_new0 (Entry, 1);
  e->attempt = espy_install_attempt_from_json (node, &error);
  if (e->attempt == NULL)
    {
      g_warning ("Could not record the install attempt: %s", error->message);
      g_free (e);
      return;
    }
  /* The free texts are the only places a secret could slip in. */
  redact_field (&e->attempt->error_message);
  redact_field (&e->attempt->transport_reason);
  redact_field (&e->attempt->image_name);
  if (log_lines != NULL)
    {
      guint n = g_strv_length ((char **) log_lines);

      e->log_lines = g_new0 (char *, n + 1);
      for (guint i = 0; i < n; i++)
        e->log_lines[i] = redact (log_lines[i]);
    }
  g_ptr_array_add (self->entries, e);
  trim (self);
  g_signal_emit (self, signals[CHANGED], 0);

  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, espy_history_add);
  g_task_set_task_data (task, snapshot (self), (GDestroyNotify) write_job_free);
  g_task_run_in_thread (task, write_thread);
}

/* --- queries ---------------------------------------------------------------- */

guint
espy_history_get_n_attempts (EspyHistory *self)
{
  g_return_val_if_fail (ESPY_IS_HISTORY (self), 0);
  return self->entries->len;
}

static gboolean
matches (Entry      *e,
         const char *device,
         gboolean    failed_only)
{
  if (device != NULL && (e->attempt->device_name == NULL ||
                         g_ascii_strcasecmp (e->attempt->device_name, device) != 0))
    return FALSE;
  if (failed_only && g_strcmp0 (e->attempt->result, "failed") != 0)
    return FALSE;
  return TRUE;
}

static int
newest_first (gconstpointer a,
              gconstpointer b)
{
  const EspyInstallAttempt *x = *(EspyInstallAttempt * const *) a;
  const EspyInstallAttempt *y = *(EspyInstallAttempt * const *) b;

  return x->started < y->started ? 1 : x->started > y->started ? -1 : 0;
}

static GPtrArray *
list (EspyHistory *self,
      const char  *device,
      gboolean     failed_only,
      guint        limit)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_install_attempt_unref);

  /* Stored oldest first: walk backwards, then order by start time in case
   * clocks or writers disagreed. */
  for (guint i = self->entries->len; i > 0; i--)
    {
      Entry *e = g_ptr_array_index (self->entries, i - 1);

      if (matches (e, device, failed_only))
        g_ptr_array_add (out, espy_install_attempt_ref (e->attempt));
    }
  g_ptr_array_sort (out, newest_first);
  if (limit > 0 && out->len > limit)
    g_ptr_array_set_size (out, limit);
  return out;
}

GPtrArray *
espy_history_list (EspyHistory *self,
                   const char  *device,
                   guint        limit)
{
  g_return_val_if_fail (ESPY_IS_HISTORY (self), NULL);
  return list (self, device, FALSE, limit);
}

GPtrArray *
espy_history_list_problems (EspyHistory *self,
                            const char  *device,
                            guint        limit)
{
  g_return_val_if_fail (ESPY_IS_HISTORY (self), NULL);
  return list (self, device, TRUE, limit);
}

EspyInstallAttempt *
espy_history_get_last (EspyHistory *self,
                       const char  *device,
                       gboolean     failed_only)
{
  g_autoptr(GPtrArray) all = NULL;

  g_return_val_if_fail (ESPY_IS_HISTORY (self), NULL);

  all = list (self, device, failed_only, 1);
  return all->len > 0 ? espy_install_attempt_ref (g_ptr_array_index (all, 0)) : NULL;
}

const char * const *
espy_history_get_log_lines (EspyHistory              *self,
                            const EspyInstallAttempt *attempt)
{
  g_return_val_if_fail (ESPY_IS_HISTORY (self), NULL);

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (self->entries, i);

      if (e->attempt == attempt)
        return (const char * const *) e->log_lines;
    }
  return NULL;
}
