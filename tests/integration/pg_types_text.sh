#!/bin/bash
# pg_types_text.sh -- pg_types.sh with binary values turned off: every type
# through pgoutput's text form, plus the text-only types (ranges, geometry).
export PG_TYPES_MODE=text
exec bash "$(dirname "$0")/pg_types.sh" "$@"
