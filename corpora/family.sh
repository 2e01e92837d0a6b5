# Sourced by the corpora scripts: reads one family of corpora/families.txt.
# load_family [NAME]: sets FAMILY, FAMILY_LINE, KERNEL_ABI, ARCH, VARIANTS, SCENARIOS (the first
# family when NAME is empty); list_families prints the names.
FAMILIES_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/families.txt"

list_families() { awk '!/^#/ && NF { print $1 }' "$FAMILIES_FILE"; }

load_family() {
	local want="${1:-}" line
	line="$(awk -v want="$want" '!/^#/ && NF && (want == "" || $1 == want) { print; exit }' "$FAMILIES_FILE")"
	[ -n "$line" ] || { echo "unknown family '$want' (families: $(list_families | tr '\n' ' '))" >&2; return 1; }
	FAMILY_LINE="$(echo "$line" | tr -s ' \t' ' ')"
	read -r FAMILY KERNEL_ABI ARCH VARIANTS SCENARIOS <<< "$FAMILY_LINE"
	VARIANTS="${VARIANTS//,/ }"
}
