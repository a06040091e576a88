"""Counts the PyTorchOracle tests in NUnit's result XML (folder given): a test belongs to the category when it or
any fixture above it carries it. Prints `oracle: N passed, N failed, N skipped`."""
import glob
import sys
import xml.etree.ElementTree as ET

counts = {"passed": 0, "failed": 0, "skipped": 0}


def walk(node, oracle):
    categories = {p.get("value") for p in node.findall("properties/property") if p.get("name") == "Category"}
    oracle = oracle or "PyTorchOracle" in categories
    if node.tag == "test-case":
        if oracle:
            result = node.get("result")
            counts["failed" if result == "Failed" else "passed" if result == "Passed" else "skipped"] += 1
        return
    for child in node:
        if child.tag in ("test-suite", "test-case"):
            walk(child, oracle)


for path in glob.glob(sys.argv[1] + "/*.xml"):
    walk(ET.parse(path).getroot(), False)
print(f"oracle: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
