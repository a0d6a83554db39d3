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
