# Self cost of a callgrind profile by function, with the JIT code of V8 named from the perf map
# that node --perf-basic-prof wrote (bench/consume-callgrind.sh keeps both with CALLGRIND_KEEP),
# and the share of the compiler, the GC and JSON. Usage: python3 callgrind-jit.py cg perf.map [top]
import sys, re, bisect, collections
cg, pmap = sys.argv[1], sys.argv[2]
top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
entries = []
for line in open(pmap):
    a, size, name = line.rstrip('\n').split(' ', 2)
    entries.append((int(a, 16), int(size, 16), name))
entries.sort()
starts = [e[0] for e in entries]
def resolve(addr):
    i = bisect.bisect_right(starts, addr) - 1
    if i >= 0 and entries[i][0] <= addr < entries[i][0] + entries[i][1]:
        return entries[i][2]
    return hex(addr)
names = {}
cost = collections.Counter()
cur = None
sub = False
for line in open(cg):
    if line.startswith('fn='):
        m = re.match(r'fn=\((\d+)\)(?: (.*))?', line.strip())
        if m.group(2): names[m.group(1)] = m.group(2)
        cur = names[m.group(1)]; sub = False
    elif line.startswith(('cfn=', 'cfi=', 'cob=')):
        m = re.match(r'cfn=\((\d+)\)(?: (.*))?', line.strip())
        if m and m.group(2): names[m.group(1)] = m.group(2)
    elif line.startswith('calls='):
        sub = True
    elif line and (line[0].isdigit() or line[0] in '+-*'):
        parts = line.split()
        if sub: sub = False; continue
        if cur is not None and len(parts) >= 2: cost[cur] += int(parts[1])
total = sum(cost.values())
res = collections.Counter()
for n, c in cost.items():
    if n.startswith('0x'):
        n = 'JIT ' + resolve(int(n.split("'")[0], 16))
    res[n] += c
cats = collections.Counter()
for n, c in res.items():
    k = ('compiler' if 'compiler::' in n or 'maglev' in n.lower() else
         'gc' if any(x in n for x in ('Sweep', 'Scaveng', 'Heap', 'Mark', 'Evacuat', 'GC', 'Remembered')) else
         'json' if 'Json' in n else
         'jit' if n.startswith('JIT') else 'other')
    cats[k] += c
mutator = total - cats["gc"] - cats["compiler"]
print("total", total, "mutator", mutator, {k: f'{v/total:.1%}' for k, v in cats.most_common()})
for n, c in res.most_common(top):
    print(f'{c:>12,} {c/total:6.1%}  {n[:150]}')
