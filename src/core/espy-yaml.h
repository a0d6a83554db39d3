/* espy-yaml.h: a small, defensive YAML document loader (libyaml) for the
 * configuration folder reader, and the ESPY_CONFIG_ERROR domain it shares
 * with EspyDeviceConfig and EspyConfigFolder.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESPY_CONFIG_ERROR (espy_config_error_quark ())

typedef enum {
  ESPY_CONFIG_ERROR_IO,               /* the file could not be read */
  ESPY_CONFIG_ERROR_PARSE,            /* not valid YAML */
  ESPY_CONFIG_ERROR_TOO_LARGE,        /* file size, node count or nesting over the limits */
  ESPY_CONFIG_ERROR_NOT_UTF8,         /* the text is not UTF-8 */
  ESPY_CONFIG_ERROR_ALIAS_BOMB,       /* aliases expand to too many nodes or nest too deep */
  ESPY_CONFIG_ERROR_SECRET_MISSING,   /* !secret NAME with no NAME in secrets.yaml */
  ESPY_CONFIG_ERROR_INCLUDE_OUTSIDE,  /* !include of a file outside the folder */
  ESPY_CONFIG_ERROR_INCLUDE_LOOP,     /* a file includes itself, directly or not */
  ESPY_CONFIG_ERROR_INCLUDE_MISSING,  /* !include of a file that does not exist */
  ESPY_CONFIG_ERROR_INVALID,          /* valid YAML, but a value of the wrong kind */
  ESPY_CONFIG_ERROR_NO_NAME,          /* no esphome: name: */
} EspyConfigError;

GQuark espy_config_error_quark (void);

/* Limits the loader enforces; the reasons are in espy-yaml.c. */
#define ESPY_YAML_MAX_FILE_SIZE   (1024 * 1024)
#define ESPY_YAML_MAX_NODES       100000
#define ESPY_YAML_MAX_ALIAS_DEPTH 32
#define ESPY_YAML_MAX_NESTING     256

typedef enum {
  ESPY_YAML_NULL,
  ESPY_YAML_SCALAR,
  ESPY_YAML_SEQUENCE,
  ESPY_YAML_MAPPING,
} EspyYamlKind;

/* One node. Reference counted: an alias shares the anchored node. Where a
 * value came from is kept so errors and editors can point at it:
 * file/line/column (1-based) of the node as written and, once resolved by
 * EspyDeviceConfig, the !secret or ${substitution} it came from. */
typedef struct _EspyYamlNode EspyYamlNode;
struct _EspyYamlNode {
  EspyYamlKind  kind;
  char         *tag;          /* "!secret", "!include", ...; NULL for none */
  char         *value;        /* SCALAR: the text */
  GPtrArray    *items;        /* SEQUENCE: nodes; MAPPING: key, value, key, value, ... */
  gboolean      plain;        /* SCALAR: written without quotes */
  char         *file;         /* interned GRefString */
  guint         line;
  guint         column;

  /* Provenance after resolution (NULL / 0 when not applicable). */
  char         *secret_name;  /* the value is "!secret NAME" at file:line:column */
  char         *secret_file;  /* where NAME: is defined */
  guint         secret_line;
  guint         secret_column;
  char         *substitution; /* the value is exactly "${NAME}" */
  gboolean      derived;      /* built from several pieces, e.g. "a-${b}" */
};

EspyYamlNode *espy_yaml_node_new        (EspyYamlKind        kind,
                                         const char         *file,
                                         guint               line,
                                         guint               column);
EspyYamlNode *espy_yaml_node_ref        (EspyYamlNode       *node);
void          espy_yaml_node_unref      (EspyYamlNode       *node);
/* Copies the scalar-level fields (kind, tag, value, position, provenance),
 * not the children. */
EspyYamlNode *espy_yaml_node_copy_shallow (const EspyYamlNode *node);

/* Mapping helpers. Keys compare as scalar text. */
EspyYamlNode *espy_yaml_mapping_lookup  (const EspyYamlNode *mapping,
                                         const char         *key);
/* Replaces the value of @key or appends the pair; takes its own references. */
void          espy_yaml_mapping_set     (EspyYamlNode       *mapping,
                                         EspyYamlNode       *key,
                                         EspyYamlNode       *value);
void          espy_yaml_mapping_remove  (EspyYamlNode       *mapping,
                                         const char         *key);

/* "null", "~" and "" plain scalars, and NULL nodes. */
gboolean      espy_yaml_node_is_null    (const EspyYamlNode *node);
guint         espy_yaml_node_count      (const EspyYamlNode *node);

/* Loads the first document of a file: regular files of at most
 * ESPY_YAML_MAX_FILE_SIZE bytes, UTF-8, with aliases expanding to at most
 * ESPY_YAML_MAX_NODES nodes. @display_name names the file in errors (e.g. a
 * path relative to the configuration folder). An empty document loads as a
 * NULL node. Merge keys (<<) are applied. @contents (optional) receives
 * the bytes read, e.g. to digest them. */
EspyYamlNode *espy_yaml_load_file       (GFile              *file,
                                         const char         *display_name,
                                         GBytes            **contents,
                                         GCancellable       *cancellable,
                                         GError            **error);
/* The same for text in memory (tests, editors). */
EspyYamlNode *espy_yaml_load_data       (const char         *data,
                                         gsize               len,
                                         const char         *display_name,
                                         GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyYamlNode, espy_yaml_node_unref)

G_END_DECLS
