/* espy-install-manager.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-install-manager.h"

#include <glib/gi18n-lib.h>

struct _EspyInstallManager
{
  GObject       parent_instance;

  GListStore   *jobs;      /* every job started, oldest first */
  GQueue        queue;     /* EspyInstallJob* waiting, in start order (refs held by jobs) */
  GPtrArray    *running;   /* EspyInstallJob* running (refs held by jobs) */
  guint         max_parallel;

  GApplication *app;
  gboolean      holding;
  gboolean      had_running;
};

enum {
  PROP_0,
  PROP_MAX_PARALLEL,
  PROP_N_RUNNING,
  PROP_N_QUEUED,
  PROP_HAS_RUNNING,
  N_PROPS
};

enum {
  SIGNAL_JOB_STARTED,
  SIGNAL_JOB_FINISHED,
  SIGNAL_DEVICE_BUSY,
  SIGNAL_DEVICE_FREE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EspyInstallManager, espy_install_manager, G_TYPE_OBJECT)

static void
update_hold (EspyInstallManager *self)
{
  gboolean want = espy_install_manager_get_has_running (self) && self->app != NULL;

  if (want && !self->holding)
    {
      g_application_hold (self->app);
      self->holding = TRUE;
    }
  else if (!want && self->holding)
    {
      self->holding = FALSE;
      if (self->app != NULL)
        g_application_release (self->app);
    }
}

/* Notifies the counters; call after every change of the queue or running. */
static void
counts_changed (EspyInstallManager *self)
{
  gboolean has_running = espy_install_manager_get_has_running (self);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_QUEUED]);
  if (has_running != self->had_running)
    {
      self->had_running = has_running;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_RUNNING]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  update_hold (self);
}

static void start_queued (EspyInstallManager *self);

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(EspyInstallManager) self = user_data;
  EspyInstallJob *job = ESPY_INSTALL_JOB (source);
  g_autoptr(GError) error = NULL;

  /* The job keeps its own outcome; the manager only schedules. */
  espy_install_job_run_finish (job, result, &error);

  g_object_ref (job);
  if (g_ptr_array_remove (self->running, job))
    {
      g_signal_emit (self, signals[SIGNAL_JOB_FINISHED], 0, job);
      start_queued (self);
      counts_changed (self);
    }
  g_object_unref (job);
}

static void
start_queued (EspyInstallManager *self)
{
  while (self->running->len < self->max_parallel && !g_queue_is_empty (&self->queue))
    {
      EspyInstallJob *job = g_queue_pop_head (&self->queue);

      if (espy_install_job_is_final (job))
        continue;
      g_ptr_array_add (self->running, job);
      g_signal_emit (self, signals[SIGNAL_JOB_STARTED], 0, job);
      espy_install_job_run_async (job, NULL, run_cb, g_object_ref (self));
    }
}

/* device-busy just before the upload connects, device-free at the end. */
static void
job_stage_cb (EspyInstallJob     *job,
              EspyInstallState    old_state,
              EspyInstallState    new_state,
              EspyInstallManager *self)
{
  gboolean busy = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (job), "espy-device-busy"));

  if (new_state == ESPY_INSTALL_STATE_CONNECTING && !busy)
    {
      g_object_set_data (G_OBJECT (job), "espy-device-busy", GINT_TO_POINTER (TRUE));
      g_signal_emit (self, signals[SIGNAL_DEVICE_BUSY], 0, espy_install_job_get_device_name (job));
    }
  else if (espy_install_state_is_final (new_state) && busy)
    {
      g_object_set_data (G_OBJECT (job), "espy-device-busy", NULL);
      g_signal_emit (self, signals[SIGNAL_DEVICE_FREE], 0, espy_install_job_get_device_name (job));
    }
}

/* A queued job cancelled before it ran leaves the queue at once. */
static void
job_state_cb (EspyInstallJob     *job,
              GParamSpec         *pspec,
              EspyInstallManager *self)
{
  if (!espy_install_job_is_final (job))
    return;
  if (g_queue_remove (&self->queue, job))
    {
      g_object_ref (job);
      g_signal_emit (self, signals[SIGNAL_JOB_FINISHED], 0, job);
      counts_changed (self);
      g_object_unref (job);
    }
}

EspyInstallManager *
espy_install_manager_new (void)
{
  return g_object_new (ESPY_TYPE_INSTALL_MANAGER, NULL);
}

void
espy_install_manager_set_max_parallel (EspyInstallManager *self,
                                       guint               max_parallel)
{
  g_return_if_fail (ESPY_IS_INSTALL_MANAGER (self));

  max_parallel = MAX (max_parallel, 1);
  if (self->max_parallel == max_parallel)
    return;
  self->max_parallel = max_parallel;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_PARALLEL]);
  /* Lowering it lets running jobs finish; raising it starts queued ones. */
  start_queued (self);
  counts_changed (self);
}

guint
espy_install_manager_get_max_parallel (EspyInstallManager *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_MANAGER (self), 1);
  return self->max_parallel;
}

gboolean
espy_install_manager_start (EspyInstallManager  *self,
                            EspyInstallJob      *job,
                            GError             **error)
{
  EspyInstallJob *other;

  g_return_val_if_fail (ESPY_IS_INSTALL_MANAGER (self), FALSE);
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (job), FALSE);
  g_return_val_if_fail (espy_install_job_get_state (job) == ESPY_INSTALL_STATE_PENDING, FALSE);

  other = espy_install_manager_lookup_active (self, espy_install_job_get_device_name (job));
  if (other != NULL)
    {
      g_set_error (error, ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_BUSY,
                   _("An install on “%s” is already running. Wait for it to finish or cancel it."),
                   espy_device_get_display_name (espy_install_job_get_device (job)));
      return FALSE;
    }

  g_list_store_append (self->jobs, job);
  g_signal_connect_object (job, "notify::state", G_CALLBACK (job_state_cb), self, 0);
  g_signal_connect_object (job, "state-changed", G_CALLBACK (job_stage_cb), self, 0);
  g_queue_push_tail (&self->queue, job);
  start_queued (self);
  counts_changed (self);
  return TRUE;
}

GListModel *
espy_install_manager_get_jobs (EspyInstallManager *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_MANAGER (self), NULL);
  return G_LIST_MODEL (self->jobs);
}

void
espy_install_manager_clear_finished (EspyInstallManager *self)
{
  guint i;

  g_return_if_fail (ESPY_IS_INSTALL_MANAGER (self));

  for (i = g_list_model_get_n_items (G_LIST_MODEL (self->jobs)); i > 0; i--)
    {
      g_autoptr(EspyInstallJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), i - 1);

      if (espy_install_job_is_final (job))
        {
          g_signal_handlers_disconnect_by_data (job, self);
          g_list_store_remove (self->jobs, i - 1);
        }
    }
}

static EspyInstallJob *
lookup (EspyInstallManager *self,
        const char         *name,
        gboolean            active_only)
{
  guint i;

  if (name == NULL)
    return NULL;
  for (i = g_list_model_get_n_items (G_LIST_MODEL (self->jobs)); i > 0; i--)
    {
      g_autoptr(EspyInstallJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), i - 1);
      const char *job_name = espy_install_job_get_device_name (job);

      if (job_name == NULL || g_ascii_strcasecmp (job_name, name) != 0)
        continue;
      if (active_only && espy_install_job_is_final (job))
        continue;
      /* The store keeps a reference. */
      return job;
    }
  return NULL;
}

EspyInstallJob *
espy_install_manager_lookup_active (EspyInstallManager *self,
                                    const char         *name)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_MANAGER (self), NULL);
  return lookup (self, name, TRUE);
}

EspyInstallJob *
espy_install_manager_lookup_last (EspyInstallManager *self,
                                  const char         *name)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_MANAGER (self), NULL);
  return lookup (self, name, FALSE);
}

/* --- Update All ----------------------------------------------------------- */

/* One device of a run that is not a job yet (offline, waited for). */
typedef struct {
  GTask             *task;      /* the run's; not a reference */
  EspyDevice        *device;
  gulong             online_id;
  guint              timeout_id;
} Waiting;

typedef struct _UpdateRun {
  EspyInstallManager *manager;
  EspyUpdateOptions   options;
  EspyUpdateSummary   summary;
  GPtrArray          *jobs;      /* EspyInstallJob*, ours */
  GPtrArray          *waiting;   /* Waiting* */
  gulong              finished_id;
  gulong              cancel_id;
  gboolean            cancelled;
  gboolean            returned;
} UpdateRun;

static void
waiting_free (gpointer data)
{
  Waiting *w = data;

  g_clear_signal_handler (&w->online_id, w->device);
  g_clear_handle_id (&w->timeout_id, g_source_remove);
  g_object_unref (w->device);
  g_free (w);
}

static void
update_run_free (gpointer data)
{
  UpdateRun *run = data;

  g_ptr_array_unref (run->jobs);
  g_ptr_array_unref (run->waiting);
  g_free (run);
}

/* Returns the task once nothing of the run is left. */
static void
update_run_check_done (GTask *task)
{
  UpdateRun *run = g_task_get_task_data (task);

  if (run->returned || run->waiting->len > 0)
    return;
  for (guint i = 0; i < run->jobs->len; i++)
    if (!espy_install_job_is_final (g_ptr_array_index (run->jobs, i)))
      return;
  g_clear_signal_handler (&run->finished_id, run->manager);
  if (run->cancel_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), run->cancel_id);
      run->cancel_id = 0;
    }
  if (run->cancelled)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Update All was cancelled"));
  else
    g_task_return_boolean (task, TRUE);
  run->returned = TRUE;
  g_object_unref (task);  /* the run's own reference */
}

static void
update_job_finished_cb (EspyInstallManager *self,
                        EspyInstallJob     *job,
                        GTask              *task)
{
  UpdateRun *run = g_task_get_task_data (task);

  if (!g_ptr_array_find (run->jobs, job, NULL))
    return;
  switch (espy_install_job_get_state (job))
    {
    case ESPY_INSTALL_STATE_SUCCEEDED: run->summary.n_succeeded++; break;
    case ESPY_INSTALL_STATE_FAILED: run->summary.n_failed++; break;
    case ESPY_INSTALL_STATE_CANCELLED: run->summary.n_cancelled++; break;
    case ESPY_INSTALL_STATE_PENDING:
    case ESPY_INSTALL_STATE_PREPARING:
    case ESPY_INSTALL_STATE_CONNECTING:
    case ESPY_INSTALL_STATE_UPLOADING:
    case ESPY_INSTALL_STATE_REBOOTING:
    case ESPY_INSTALL_STATE_VERIFYING:
    default:
      return;
    }
  update_run_check_done (task);
}

static void
update_start_device (GTask      *task,
                     EspyDevice *device)
{
  UpdateRun *run = g_task_get_task_data (task);
  g_autoptr(EspyInstallJob) job = run->options.make_job (device, run->options.user_data);
  g_autoptr(GError) error = NULL;

  if (job == NULL)
    {
      run->summary.n_skipped++;
      return;
    }
  /* Added first: a job can end inside start() (cancelled at once). */
  g_ptr_array_add (run->jobs, g_object_ref (job));
  if (!espy_install_manager_start (run->manager, job, &error))
    {
      /* Already installing: that install is the update. */
      g_ptr_array_remove (run->jobs, job);
      run->summary.n_skipped++;
    }
}

static void
update_waiting_end (GTask   *task,
                    Waiting *w,
                    gboolean online)
{
  UpdateRun *run = g_task_get_task_data (task);
  g_autoptr(EspyDevice) device = g_object_ref (w->device);

  g_ptr_array_remove (run->waiting, w);  /* frees W */
  if (online && !run->cancelled)
    update_start_device (task, device);
  else if (run->cancelled)
    run->summary.n_cancelled++;
  else
    run->summary.n_skipped++;
  update_run_check_done (task);
}

static void
update_online_cb (EspyDevice *device,
                  GParamSpec *pspec,
                  Waiting    *w)
{
  if (espy_device_get_online (device))
    update_waiting_end (w->task, w, TRUE);
}

static gboolean
update_offline_timeout_cb (gpointer user_data)
{
  Waiting *w = user_data;

  w->timeout_id = 0;
  update_waiting_end (w->task, w, FALSE);
  return G_SOURCE_REMOVE;
}

static gboolean
update_check_idle_cb (gpointer user_data)
{
  update_run_check_done (user_data);
  return G_SOURCE_REMOVE;
}

static void
update_cancelled_cb (GCancellable *cancellable,
                     GTask        *task)
{
  UpdateRun *run = g_task_get_task_data (task);

  /* Called from g_cancellable_connect() on the thread that cancelled;
   * front ends cancel on the main thread. */
  run->cancelled = TRUE;
  for (guint i = 0; i < run->jobs->len; i++)
    espy_install_job_cancel (g_ptr_array_index (run->jobs, i));
  run->summary.n_cancelled += run->waiting->len;
  g_ptr_array_set_size (run->waiting, 0);
  g_idle_add_full (G_PRIORITY_DEFAULT, update_check_idle_cb, g_object_ref (task), g_object_unref);
}

void
espy_install_manager_update_all_async (EspyInstallManager      *self,
                                       GListModel              *devices,
                                       const EspyUpdateOptions *options,
                                       GCancellable            *cancellable,
                                       GAsyncReadyCallback      callback,
                                       gpointer                 user_data)
{
  GTask *task;
  UpdateRun *run;
  guint n;

  g_return_if_fail (ESPY_IS_INSTALL_MANAGER (self));
  g_return_if_fail (G_IS_LIST_MODEL (devices));
  g_return_if_fail (options != NULL && options->make_job != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_install_manager_update_all_async);
  run = g_new0 (UpdateRun, 1);
  run->manager = self;
  run->options = *options;
  if (run->options.offline_timeout_ms == 0)
    run->options.offline_timeout_ms = ESPY_UPDATE_DEFAULT_OFFLINE_TIMEOUT_MS;
  run->jobs = g_ptr_array_new_with_free_func (g_object_unref);
  run->waiting = g_ptr_array_new_with_free_func (waiting_free);
  g_task_set_task_data (task, run, update_run_free);

  /* The run holds TASK until update_run_check_done() returns it. */
  run->finished_id = g_signal_connect (self, "job-finished", G_CALLBACK (update_job_finished_cb), task);

  n = g_list_model_get_n_items (devices);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (devices, i);

      if (espy_device_get_online (device))
        update_start_device (task, device);
      else if (run->options.offline == ESPY_UPDATE_OFFLINE_WAIT)
        {
          Waiting *w = g_new0 (Waiting, 1);

          w->task = task;
          w->device = g_object_ref (device);
          w->online_id = g_signal_connect (device, "notify::online", G_CALLBACK (update_online_cb), w);
          w->timeout_id = g_timeout_add (run->options.offline_timeout_ms, update_offline_timeout_cb, w);
          g_ptr_array_add (run->waiting, w);
        }
      else
        run->summary.n_skipped++;
    }

  if (cancellable != NULL)
    run->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (update_cancelled_cb), task, NULL);
  /* Nothing to do, or everything ended at once: finish from the main loop. */
  g_idle_add_full (G_PRIORITY_DEFAULT, update_check_idle_cb, g_object_ref (task), g_object_unref);
}

gboolean
espy_install_manager_update_all_finish (EspyInstallManager  *self,
                                        GAsyncResult        *result,
                                        EspyUpdateSummary   *summary,
                                        GError             **error)
{
  UpdateRun *run;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  run = g_task_get_task_data (G_TASK (result));
  if (summary != NULL)
    *summary = run->summary;
  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
espy_update_summary_to_string (const EspyUpdateSummary *summary)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u installed", "%u installed",
                                             summary->n_succeeded), summary->n_succeeded);
  g_string_append (text, ", ");
  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u failed", "%u failed",
                                             summary->n_failed), summary->n_failed);
  g_string_append (text, ", ");
  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u skipped", "%u skipped",
                                             summary->n_skipped), summary->n_skipped);
  if (summary->n_cancelled > 0)
    {
      g_string_append (text, ", ");
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u cancelled", "%u cancelled",
                                                 summary->n_cancelled), summary->n_cancelled);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

void
espy_install_manager_cancel_all (EspyInstallManager *self)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func (g_object_unref);
  GList *l;
  guint i;

  g_return_if_fail (ESPY_IS_INSTALL_MANAGER (self));

  /* Queued ones first, so none of them starts in a slot freed meanwhile. */
  for (l = self->queue.head; l != NULL; l = l->next)
    g_ptr_array_add (jobs, g_object_ref (l->data));
  for (i = 0; i < self->running->len; i++)
    g_ptr_array_add (jobs, g_object_ref (g_ptr_array_index (self->running, i)));
  for (i = 0; i < jobs->len; i++)
    espy_install_job_cancel (g_ptr_array_index (jobs, i));
}

guint
espy_install_manager_get_n_running (EspyInstallManager *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_MANAGER (self), 0);
  return self->running->len;
}

guint
espy_install_manager_get_n_queued (EspyInstallManager *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_MANAGER (self), 0);
  return self->queue.length;
}

gboolean
espy_install_manager_get_has_running (EspyInstallManager *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_MANAGER (self), FALSE);
  return self->running->len + self->queue.length > 0;
}

void
espy_install_manager_hold_application (EspyInstallManager *self,
                                       GApplication       *app)
{
  g_return_if_fail (ESPY_IS_INSTALL_MANAGER (self));
  g_return_if_fail (app == NULL || G_IS_APPLICATION (app));

  if (self->app == app)
    return;
  if (self->holding)
    {
      self->holding = FALSE;
      g_application_release (self->app);
    }
  /* Weak: the application owns the manager. */
  if (self->app != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->app), (gpointer *) &self->app);
  self->app = app;
  if (self->app != NULL)
    g_object_add_weak_pointer (G_OBJECT (self->app), (gpointer *) &self->app);
  update_hold (self);
}

static void
espy_install_manager_dispose (GObject *object)
{
  EspyInstallManager *self = ESPY_INSTALL_MANAGER (object);
  guint i;

  espy_install_manager_hold_application (self, NULL);
  if (self->jobs != NULL)
    for (i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->jobs)); i++)
      {
        g_autoptr(EspyInstallJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), i);

        g_signal_handlers_disconnect_by_data (job, self);
      }
  g_queue_clear (&self->queue);
  if (self->running != NULL)
    g_ptr_array_set_size (self->running, 0);
  g_clear_object (&self->jobs);

  G_OBJECT_CLASS (espy_install_manager_parent_class)->dispose (object);
}

static void
espy_install_manager_finalize (GObject *object)
{
  EspyInstallManager *self = ESPY_INSTALL_MANAGER (object);

  g_clear_pointer (&self->running, g_ptr_array_unref);

  G_OBJECT_CLASS (espy_install_manager_parent_class)->finalize (object);
}

static void
espy_install_manager_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  EspyInstallManager *self = ESPY_INSTALL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_MAX_PARALLEL: g_value_set_uint (value, self->max_parallel); break;
    case PROP_N_RUNNING: g_value_set_uint (value, self->running->len); break;
    case PROP_N_QUEUED: g_value_set_uint (value, self->queue.length); break;
    case PROP_HAS_RUNNING: g_value_set_boolean (value, espy_install_manager_get_has_running (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_install_manager_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  EspyInstallManager *self = ESPY_INSTALL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_MAX_PARALLEL: espy_install_manager_set_max_parallel (self, g_value_get_uint (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_install_manager_class_init (EspyInstallManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = espy_install_manager_dispose;
  object_class->finalize = espy_install_manager_finalize;
  object_class->get_property = espy_install_manager_get_property;
  object_class->set_property = espy_install_manager_set_property;

  properties[PROP_MAX_PARALLEL] =
    g_param_spec_uint ("max-parallel", NULL, NULL, 1, 64, ESPY_INSTALL_MANAGER_DEFAULT_MAX_PARALLEL,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_RUNNING] = g_param_spec_uint ("n-running", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_QUEUED] = g_param_spec_uint ("n-queued", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_HAS_RUNNING] = g_param_spec_boolean ("has-running", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_JOB_STARTED] =
    g_signal_new ("job-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ESPY_TYPE_INSTALL_JOB);
  signals[SIGNAL_DEVICE_BUSY] =
    g_signal_new ("device-busy", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_DEVICE_FREE] =
    g_signal_new ("device-free", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_JOB_FINISHED] =
    g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ESPY_TYPE_INSTALL_JOB);
}

static void
espy_install_manager_init (EspyInstallManager *self)
{
  self->jobs = g_list_store_new (ESPY_TYPE_INSTALL_JOB);
  g_queue_init (&self->queue);
  self->running = g_ptr_array_new ();
  self->max_parallel = ESPY_INSTALL_MANAGER_DEFAULT_MAX_PARALLEL;
}
