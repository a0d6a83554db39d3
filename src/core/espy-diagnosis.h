/* espy-diagnosis.h: why an install failed and what to do, in plain words.
 * A pure function of the attempt record, the check results and the device's
 * log lines: no I/O, no clock, so it is table-tested.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "espy-device-checks.h"
#include "espy-install-attempt.h"

G_BEGIN_DECLS

/* What a step's button does. Front ends map them to their actions. */
typedef enum {
  ESPY_DIAGNOSIS_ACTION_NONE,
  ESPY_DIAGNOSIS_ACTION_RETRY,              /* "retry" */
  ESPY_DIAGNOSIS_ACTION_RETRY_WEB,          /* "retry-web": through the web server */
  ESPY_DIAGNOSIS_ACTION_CHANGE_PASSWORD,    /* "change-password": the password wizard */
  ESPY_DIAGNOSIS_ACTION_SHOW_LOGS,          /* "show-logs" */
  ESPY_DIAGNOSIS_ACTION_OPEN_YAML,          /* "open-yaml" */
  ESPY_DIAGNOSIS_ACTION_POWER_CYCLE,        /* "power-cycle": the user does it; no button */
  ESPY_DIAGNOSIS_ACTION_USE_ADDRESS,        /* "use-address": connect by IP address */
  ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE,  /* "choose-other-file" */
} EspyDiagnosisAction;
#define ESPY_DIAGNOSIS_N_ACTIONS (ESPY_DIAGNOSIS_ACTION_CHOOSE_OTHER_FILE + 1)

typedef struct {
  char                *text;    /* one translated sentence */
  EspyDiagnosisAction  action;  /* NONE: no button */
} EspyDiagnosisStep;

/* Read the fields directly. */
typedef struct {
  char      *cause;        /* stable id: "busy", "password-rejected", "not-enough-space", ... */
  char      *title;        /* translated, short: "Another upload may be in progress" */
  char      *explanation;  /* translated, plain words, a few sentences */
  GPtrArray *steps;        /* EspyDiagnosisStep *, in the order to try them */
  GPtrArray *findings;     /* char *: what the checks and logs showed that matters */
  gboolean   generic;      /* no specific cause was found */

  /*< private >*/
  gatomicrefcount ref_count;
} EspyDiagnosis;

/* Everything the diagnosis looks at. Every member may be NULL. */
typedef struct {
  const EspyInstallAttempt *attempt;
  GPtrArray                *checks;     /* EspyCheckResult * */
  const char * const       *log_lines;  /* the device's log around the failure */
  const char               *platform;   /* "ESP8266", "ESP32", ...: changes advice */
  const char               *host;       /* what Espy connects to: an address needs no "use the address" */
} EspyDiagnosisInput;

#define ESPY_TYPE_DIAGNOSIS (espy_diagnosis_get_type ())
GType          espy_diagnosis_get_type        (void) G_GNUC_CONST;
EspyDiagnosis *espy_diagnosis_ref             (EspyDiagnosis            *diagnosis);
void           espy_diagnosis_unref           (EspyDiagnosis            *diagnosis);

EspyDiagnosis *espy_diagnose                  (const EspyDiagnosisInput *input);

/* "retry", "retry-web", ... ; NULL for NONE. */
const char    *espy_diagnosis_action_to_nick  (EspyDiagnosisAction       action);
/* Translated button label: "Retry", "Change Password", ...; NULL for NONE. */
const char    *espy_diagnosis_action_label    (EspyDiagnosisAction       action);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyDiagnosis, espy_diagnosis_unref)

G_END_DECLS
