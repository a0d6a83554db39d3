/* espy-install-manager.h: every install the application runs, so installs
 * outlive the dialog or window that started them. A bounded number run at
 * once (the "parallel installs" preference); the rest wait in a queue in the
 * order they were started.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-install-job.h"

G_BEGIN_DECLS

#define ESPY_INSTALL_MANAGER_DEFAULT_MAX_PARALLEL 4

/* Properties:
 *   max-parallel  guint     read/write, >= 1, default 4 (bind it to GSettings)
 *   n-running     guint     jobs in an active state
 *   n-queued      guint     jobs waiting (PENDING) in the queue
 *   has-running   gboolean  n-running + n-queued > 0
 * Signals:
 *   ::job-started  (EspyInstallJob *job)  when a queued job leaves the queue
 *   ::job-finished (EspyInstallJob *job)  when a job reached a final state
 *                                          (including a queued job cancelled) */
#define ESPY_TYPE_INSTALL_MANAGER (espy_install_manager_get_type ())
G_DECLARE_FINAL_TYPE (EspyInstallManager, espy_install_manager, ESPY, INSTALL_MANAGER, GObject)

EspyInstallManager *espy_install_manager_new               (void);

void                espy_install_manager_set_max_parallel  (EspyInstallManager  *self,
                                                            guint                max_parallel);
guint               espy_install_manager_get_max_parallel  (EspyInstallManager  *self);

/* Adds JOB (a new, PENDING job; the manager takes its own reference) to the
 * jobs and runs it as soon as a slot is free. FALSE with
 * ESPY_INSTALL_ERROR_BUSY when a job for the same device (by name) is
 * queued or running, and then JOB is left alone. */
gboolean            espy_install_manager_start             (EspyInstallManager  *self,
                                                            EspyInstallJob      *job,
                                                            GError             **error);

/* GListModel of EspyInstallJob: every job started, oldest first, final ones
 * included until espy_install_manager_clear_finished(). Owned by SELF. */
GListModel         *espy_install_manager_get_jobs          (EspyInstallManager  *self);
void                espy_install_manager_clear_finished    (EspyInstallManager  *self);

/* The queued or running job for the device named NAME (any case), or NULL.
 * Not a new reference. A card shows its progress. */
EspyInstallJob     *espy_install_manager_lookup_active     (EspyInstallManager  *self,
                                                            const char          *name);
/* The most recent job for NAME in any state (the card's "last install
 * result"), or NULL. Not a new reference. */
EspyInstallJob     *espy_install_manager_lookup_last       (EspyInstallManager  *self,
                                                            const char          *name);

/* Cancels every queued and running job. */
void                espy_install_manager_cancel_all        (EspyInstallManager  *self);

guint               espy_install_manager_get_n_running     (EspyInstallManager  *self);
guint               espy_install_manager_get_n_queued      (EspyInstallManager  *self);
gboolean            espy_install_manager_get_has_running   (EspyInstallManager  *self);

/* Keeps APP alive (g_application_hold) while has-running is TRUE, so
 * closing the last window does not end installs. NULL releases and
 * detaches. The application calls this once after creating the manager. */
void                espy_install_manager_hold_application  (EspyInstallManager  *self,
                                                            GApplication        *app);

G_END_DECLS
