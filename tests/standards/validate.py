"""Checks exported OSCAL and FHIR documents with validators written by others.

    python validate.py FILE...

Each FILE is read by what its top level names:
- {"catalog": ...}: compliance-trestle's Catalog.oscal_read;
- {"assessment-results": ...}: compliance-trestle's AssessmentResults.oscal_read;
- {"resourceType": "Bundle", ...}: fhir.resources' R4B Bundle (4.3, the nearest it has to the
  R4 4.0.1 we write; its default models are R5, which refuse R4's Consent.scope).
Then every OSCAL file is copied into a fresh `trestle init` workspace and `trestle validate -a`
runs there once: it also checks what the models alone do not (duplicate UUIDs, references).

Prints one line per file (and one for `trestle validate`), and exits 1 with the validators'
messages when any of them refuses a file. tests/standards.rs runs it; .ci/run makes its venv.
"""

import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

from fhir.resources.R4B.bundle import Bundle
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.catalog import Catalog

OSCAL_MODELS = {
    "catalog": (Catalog, "catalogs"),
    "assessment-results": (AssessmentResults, "assessment-results"),
}


def read(path):
    """Reads `path` with the validator its top level calls for; returns the model's key."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError("the top level is not an object")
    if document.get("resourceType") == "Bundle":
        Bundle.model_validate_json(path.read_bytes())
        return "Bundle"
    keys = [key for key in document if key != "$schema"]
    if len(keys) == 1 and keys[0] in OSCAL_MODELS:
        model, _ = OSCAL_MODELS[keys[0]]
        if model.oscal_read(path) is None:
            raise ValueError("trestle read nothing")
        return keys[0]
    raise ValueError(f"neither an OSCAL catalog, OSCAL assessment results nor a FHIR Bundle: {keys}")


def trestle_validate(oscal):
    """Runs `trestle validate -a` on the OSCAL files [(path, key)]; returns (ok, its output)."""
    trestle = pathlib.Path(sys.executable).with_name("trestle")
    with tempfile.TemporaryDirectory(prefix="pcmh-trestle-") as workspace:
        workspace = pathlib.Path(workspace)
        subprocess.run([trestle, "init"], cwd=workspace, check=True, capture_output=True, text=True)
        for number, (path, key) in enumerate(oscal):
            folder = workspace / OSCAL_MODELS[key][1] / f"{number:04}-{path.stem}"
            folder.mkdir(parents=True)
            shutil.copyfile(path, folder / f"{key}.json")
        run = subprocess.run(
            [trestle, "validate", "-a"], cwd=workspace, capture_output=True, text=True
        )
    output = (run.stdout + run.stderr).strip()
    valid = sum(1 for line in output.splitlines() if "VALID: Model" in line and "INVALID" not in line)
    if run.returncode == 0 and valid != len(oscal):
        return False, f"trestle reported {valid} valid models of {len(oscal)}:\n{output}"
    return run.returncode == 0, output


def main(arguments):
    if not arguments:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = False
    oscal = []
    for name in arguments:
        path = pathlib.Path(name)
        try:
            key = read(path)
        except Exception as error:  # the validator's own words, whatever it raised
            failed = True
            print(f"REFUSED {path}: {type(error).__name__}: {error}")
            continue
        if key in OSCAL_MODELS:
            oscal.append((path, key))
            print(f"ok {path}: trestle {OSCAL_MODELS[key][0].__name__}.oscal_read")
        else:
            print(f"ok {path}: fhir.resources R4B {key}")
    if oscal:
        ok, output = trestle_validate(oscal)
        if ok:
            print(f"ok trestle validate -a: {len(oscal)} OSCAL files")
        else:
            failed = True
            print(f"REFUSED by trestle validate -a:\n{output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
