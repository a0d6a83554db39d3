/* espy-yaml-editor.h: byte-exact, in-place edits of the user's YAML files
 * (an OTA password scalar, one inserted or removed line, a secrets.yaml
 * entry), staged in memory, verified by parsing the result, then written
 * atomically with a backup until the caller says the change is final.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESPY_YAML_EDIT_ERROR (espy_yaml_edit_error_quark ())

typedef enum {
  ESPY_YAML_EDIT_ERROR_IO,               /* a file could not be read or written */
  ESPY_YAML_EDIT_ERROR_PARSE,            /* the file is not YAML the editor can follow */
  ESPY_YAML_EDIT_ERROR_NOT_FOUND,        /* nothing at the given place / no esphome OTA entry */
  ESPY_YAML_EDIT_ERROR_NOT_EDITABLE,     /* a value that is not one scalar, a tag other than !secret, ... */
  ESPY_YAML_EDIT_ERROR_REMOTE,           /* the value comes from a remote package */
  ESPY_YAML_EDIT_ERROR_EXISTS,           /* the secret name is already defined */
  ESPY_YAML_EDIT_ERROR_CHANGED_ON_DISK,  /* the file changed after it was read */
  ESPY_YAML_EDIT_ERROR_VERIFY,           /* the edited text does not read back as intended */
  ESPY_YAML_EDIT_ERROR_BUSY,             /* a second edit of the same file, or an edit after commit */
} EspyYamlEditError;

GQuark espy_yaml_edit_error_quark (void);

/* How a scalar was written (libyaml's styles). */
typedef enum {
  ESPY_YAML_STYLE_ANY,
  ESPY_YAML_STYLE_PLAIN,
  ESPY_YAML_STYLE_SINGLE,
  ESPY_YAML_STYLE_DOUBLE,
  ESPY_YAML_STYLE_LITERAL,
  ESPY_YAML_STYLE_FOLDED,
} EspyYamlStyle;

/* VALUE written as a YAML scalar that reads back as exactly VALUE: in
 * STYLE when VALUE allows it (plain only for unambiguous words, single
 * quotes only for printable text), else double-quoted with escapes. NULL
 * when VALUE is not valid UTF-8. */
char *espy_yaml_quote_scalar (const char    *value,
                              EspyYamlStyle  style);

/* Every method of the editor blocks on small local files: call it from a
 * worker thread (EspyPasswordChange does). An editor is one transaction:
 * stage edits (at most one per file; nothing is written), look at the
 * diff, commit (every file or none), then finish (drop the backups) or
 * roll back (every file back, byte for byte). */
#define ESPY_TYPE_YAML_EDITOR (espy_yaml_editor_get_type ())
G_DECLARE_FINAL_TYPE (EspyYamlEditor, espy_yaml_editor, ESPY, YAML_EDITOR, GObject)

EspyYamlEditor *espy_yaml_editor_new               (void);

/* The scalar whose node starts at LINE:COLUMN (1-based, as
 * EspyConfigLocation gives them; a tagged node starts at its tag) becomes
 * VALUE, keeping its quoting style when VALUE allows it. TAG (e.g.
 * "!secret") writes "TAG VALUE" with VALUE plain: for a secret name.
 * Refuses a node with a tag of its own unless TAG is given. */
gboolean        espy_yaml_editor_set_scalar        (EspyYamlEditor  *self,
                                                    const char      *path,
                                                    guint            line,
                                                    guint            column,
                                                    const char      *tag,
                                                    const char      *value,
                                                    GError         **error);
/* Removes the "key: value" pair whose value starts at LINE:COLUMN: its
 * whole line (with its comment) in block style. */
gboolean        espy_yaml_editor_remove_pair       (EspyYamlEditor  *self,
                                                    const char      *path,
                                                    guint            line,
                                                    guint            column,
                                                    GError         **error);
/* Inserts `password: "VALUE"` into the first native OTA entry
 * (`ota: - platform: esphome`, or the legacy `ota:` mapping) found in PATHS
 * (the device file first, then its included files; an `ota: !include F`
 * is followed), one line with the entry's indentation and line ending.
 * The path that was edited is returned in EDITED_PATH (may be NULL). */
gboolean        espy_yaml_editor_insert_ota_password (EspyYamlEditor     *self,
                                                    const char * const *paths,
                                                    const char         *value,
                                                    char              **edited_path,
                                                    GError            **error);
/* Appends `NAME: "VALUE"` to SECRETS_PATH (created when missing).
 * ESPY_YAML_EDIT_ERROR_EXISTS when NAME is defined already. */
gboolean        espy_yaml_editor_add_secret        (EspyYamlEditor  *self,
                                                    const char      *secrets_path,
                                                    const char      *name,
                                                    const char      *value,
                                                    GError         **error);
/* TRUE when SECRETS_PATH defines NAME (a missing file defines nothing). */
gboolean        espy_yaml_editor_has_secret        (const char      *secrets_path,
                                                    const char      *name,
                                                    GError         **error);

/* Absolute paths of the files with a staged edit, in staging order. */
GStrv           espy_yaml_editor_get_paths         (EspyYamlEditor  *self);
/* The bytes read (ORIGINAL) or that will be written; NULL for a path
 * without an edit. Contain secrets: never print them. */
GBytes         *espy_yaml_editor_get_original      (EspyYamlEditor  *self,
                                                    const char      *path);
GBytes         *espy_yaml_editor_get_edited        (EspyYamlEditor  *self,
                                                    const char      *path);
/* A unified diff (3 lines of context) of every staged edit, with the
 * paths shown relative to BASE_DIR when inside it. REDACT replaces the
 * password values that this editor wrote or removed by "********" so the
 * text may be shown or logged. */
char           *espy_yaml_editor_diff              (EspyYamlEditor  *self,
                                                    const char      *base_dir,
                                                    gboolean         redact);

/* Writes every staged file: each is checked unchanged on disk, backed up
 * beside itself (".NAME.espy-backup", mode 0600), then replaced atomically
 * (temporary file + rename, same mode, through symbolic links). On
 * failure the files already written are restored and nothing is left
 * changed. */
gboolean        espy_yaml_editor_commit            (EspyYamlEditor  *self,
                                                    GError         **error);
gboolean        espy_yaml_editor_is_committed      (EspyYamlEditor  *self);
/* Puts every committed file back as it was read, byte for byte (and mode),
 * and removes the backups. Nothing to do before commit. */
gboolean        espy_yaml_editor_rollback          (EspyYamlEditor  *self,
                                                    GError         **error);
/* The change is final: removes the backups. */
void            espy_yaml_editor_finish            (EspyYamlEditor  *self);

G_END_DECLS
