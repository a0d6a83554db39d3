/* espy-update-plan.h: what Update All installs on each device, one rule
 * for the window and `espy-cli update-all`: a device whose YAML is in the
 * configuration folder is built from it (its secrets then come from the
 * YAML, then the keyring); otherwise a firmware image added for it (a build
 * already on disk, a demo image) is installed; otherwise it is skipped.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-config-folder.h"
#include "espy-install-manager.h"

G_BEGIN_DECLS

#define ESPY_TYPE_UPDATE_PLAN (espy_update_plan_get_type ())
G_DECLARE_FINAL_TYPE (EspyUpdatePlan, espy_update_plan, ESPY, UPDATE_PLAN, GObject)

/* FOLDER may be NULL (no configuration folder: images only). */
EspyUpdatePlan   *espy_update_plan_new            (EspyConfigFolder     *folder);
EspyConfigFolder *espy_update_plan_get_config_folder (EspyUpdatePlan    *self);

/* Every job's transport (default ESPY_INSTALL_TRANSPORT_AUTO). */
void              espy_update_plan_set_transport  (EspyUpdatePlan       *self,
                                                   EspyInstallTransport  transport);
/* Passed to espy_install_job_set_use_keyring() (default TRUE). */
void              espy_update_plan_set_use_keyring (EspyUpdatePlan      *self,
                                                    gboolean             use_keyring);
/* Passed to every job as they are (unset: the job's defaults). */
void              espy_update_plan_set_timeouts   (EspyUpdatePlan       *self,
                                                   guint                 reboot_timeout_ms,
                                                   guint                 verify_timeout_ms);
/* The image to install on the device named DEVICE_NAME (any case) when
 * the folder has no YAML for it, with the OTA password known for it
 * (NULL: none known; kept in memory only, wiped when the plan goes). */
void              espy_update_plan_add_image      (EspyUpdatePlan       *self,
                                                   const char           *device_name,
                                                   EspyFirmwareImage    *image,
                                                   const char           *password);

/* The device's YAML in the folder (by its config path, else its name), or
 * NULL. Not a new reference. */
EspyDeviceConfig *espy_update_plan_lookup_config  (EspyUpdatePlan       *self,
                                                   EspyDevice           *device);
/* Whether make_job() would make a job for DEVICE. */
gboolean          espy_update_plan_has_source     (EspyUpdatePlan       *self,
                                                   EspyDevice           *device);
/* A new PENDING job for DEVICE (build from its YAML, or its image), or
 * NULL when the plan has nothing for it. */
EspyInstallJob   *espy_update_plan_make_job       (EspyUpdatePlan       *self,
                                                   EspyDevice           *device);
/* Fills OPTIONS' make_job and user_data with this plan (not a reference:
 * keep SELF until espy_install_manager_update_all_finish()). */
void              espy_update_plan_init_options   (EspyUpdatePlan       *self,
                                                   EspyUpdateOptions    *options);

G_END_DECLS
