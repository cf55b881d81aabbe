//! The dependency graph: vertices (infrastructure nodes and customer services) and the
//! requirement groups that say what each needs, in flat arrays indexed by dense ids.

use crate::names::Names;

/// A vertex's dense number: its position in [`Graph::names`].
pub type VertexId = u32;

/// A requirement group's dense number.
pub type GroupId = u32;

/// Why a graph could not be built.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GraphError {
    /// A group needs more members than it lists, or none.
    #[error("requirement group of `{owner}` needs {need} of {len} members")]
    NeedOutOfRange {
        /// The vertex owning the group.
        owner: VertexId,
        /// How many must hold.
        need: u32,
        /// How many are listed.
        len: u32,
    },
    /// A member or owner number is not a vertex.
    #[error("vertex number {0} does not exist")]
    UnknownVertex(VertexId),
    /// Requirements go round in circles.
    #[error("{} dependency cycle(s)", .0.cycles.len())]
    Cycles(Cycles),
}

/// Most cycles [`GraphBuilder::build`] reports: a graph of `n` vertices can hold far more
/// cycles than `n`, each as long as `n`.
pub const MAX_REPORTED_CYCLES: usize = 100;

/// The cycles found, with the vertex names so that they can be reported.
#[derive(Debug, Clone)]
pub struct Cycles {
    /// Each cycle lists vertices each of which requires the next; the last requires the first.
    /// At most [`MAX_REPORTED_CYCLES`] are listed.
    pub cycles: Vec<Vec<VertexId>>,
    /// The names of the vertices.
    pub names: Names,
}

/// Collects vertices and requirement groups, then checks them into a [`Graph`].
#[derive(Default)]
pub struct GraphBuilder {
    names: Names,
    /// (owner, need, start of members in `members`), in the order added.
    groups: Vec<(VertexId, u32, u32)>,
    members: Vec<VertexId>,
}

impl GraphBuilder {
    /// An empty builder sized for about `vertices` vertices.
    pub fn with_capacity(vertices: usize) -> Self {
        GraphBuilder {
            names: Names::with_capacity(vertices, vertices * 12),
            groups: Vec::with_capacity(vertices * 2),
            members: Vec::with_capacity(vertices * 3),
        }
    }

    /// A builder whose vertices are `names`, numbered as there.
    pub fn from_names(names: Names) -> Self {
        GraphBuilder {
            groups: Vec::with_capacity(names.len() * 2),
            members: Vec::with_capacity(names.len() * 3),
            names,
        }
    }

    /// Adds a vertex; `None` if the id is taken already.
    pub fn add_vertex(&mut self, id: &str) -> Option<VertexId> {
        match self.names.insert(id) {
            (v, true) => Some(v),
            (_, false) => None,
        }
    }

    /// The number of an existing vertex.
    pub fn find(&self, id: &str) -> Option<VertexId> {
        self.names.find(id)
    }

    /// How many vertices there are so far.
    pub fn vertex_count(&self) -> usize {
        self.names.len()
    }

    /// Adds a group to `owner`: it holds while at least `need` of `members` are not down.
    /// A member listed twice counts twice.
    pub fn add_group(&mut self, owner: VertexId, need: u32, members: &[VertexId]) {
        self.groups.push((owner, need, self.members.len() as u32));
        self.members.extend_from_slice(members);
    }

    /// Checks ranges and cycles, orders the vertices topologically and lays the graph out.
    pub fn build(self) -> Result<Graph, GraphError> {
        let n = self.names.len();
        let g = self.groups.len();
        let total_members = self.members.len();
        let member_end = |i: usize| -> u32 {
            self.groups
                .get(i + 1)
                .map_or(total_members as u32, |&(_, _, s)| s)
        };
        // Validate and count groups per owner.
        let mut vertex_groups = vec![0u32; n + 1];
        for (i, &(owner, need, start)) in self.groups.iter().enumerate() {
            if owner as usize >= n {
                return Err(GraphError::UnknownVertex(owner));
            }
            let len = member_end(i) - start;
            if need == 0 || need > len {
                return Err(GraphError::NeedOutOfRange { owner, need, len });
            }
            vertex_groups[owner as usize + 1] += 1;
        }
        if let Some(&m) = self.members.iter().find(|&&m| m as usize >= n) {
            return Err(GraphError::UnknownVertex(m));
        }
        for v in 0..n {
            vertex_groups[v + 1] += vertex_groups[v];
        }
        // Lay groups out by owner (a stable counting sort keeps each owner's order).
        let mut next = vertex_groups.clone();
        let mut order = vec![0u32; g];
        for (i, &(owner, _, _)) in self.groups.iter().enumerate() {
            let slot = &mut next[owner as usize];
            order[*slot as usize] = i as u32;
            *slot += 1;
        }
        let mut group_need = Vec::with_capacity(g);
        let mut group_owner = Vec::with_capacity(g);
        let mut group_members = Vec::with_capacity(g + 1);
        let mut members = Vec::with_capacity(total_members);
        group_members.push(0u32);
        for &i in &order {
            let (owner, need, start) = self.groups[i as usize];
            let end = member_end(i as usize);
            group_need.push(need);
            group_owner.push(owner);
            members.extend_from_slice(&self.members[start as usize..end as usize]);
            group_members.push(members.len() as u32);
        }
        drop(self.groups);
        drop(self.members);
        // Dependents: for each vertex, every group occurrence it is a member of.
        let mut dependent_start = vec![0u32; n + 1];
        for &m in &members {
            dependent_start[m as usize + 1] += 1;
        }
        for v in 0..n {
            dependent_start[v + 1] += dependent_start[v];
        }
        let mut fill = dependent_start.clone();
        let mut dependents = vec![0u32; members.len()];
        for grp in 0..g {
            for &m in &members[group_members[grp] as usize..group_members[grp + 1] as usize] {
                let slot = &mut fill[m as usize];
                dependents[*slot as usize] = grp as u32;
                *slot += 1;
            }
        }
        drop(fill);
        let mut graph = Graph {
            names: self.names,
            vertex_groups,
            group_need,
            group_owner,
            group_members,
            members,
            dependent_start,
            dependents,
            topo: Vec::new(),
            rank: Vec::new(),
        };
        graph.order()?;
        Ok(graph)
    }
}

/// The checked dependency graph. Members come before the vertices needing them in
/// [`Graph::topological_order`].
#[derive(Debug, Clone)]
pub struct Graph {
    names: Names,
    /// Groups of vertex `v` are `vertex_groups[v]..vertex_groups[v + 1]`.
    vertex_groups: Vec<u32>,
    group_need: Vec<u32>,
    group_owner: Vec<VertexId>,
    /// Members of group `g` are `members[group_members[g]..group_members[g + 1]]`.
    group_members: Vec<u32>,
    members: Vec<VertexId>,
    /// Group occurrences that vertex `v` is a member of.
    dependent_start: Vec<u32>,
    dependents: Vec<GroupId>,
    topo: Vec<VertexId>,
    rank: Vec<u32>,
}

impl Graph {
    /// How many vertices.
    pub fn vertex_count(&self) -> usize {
        self.names.len()
    }

    /// How many requirement groups.
    pub fn group_count(&self) -> usize {
        self.group_need.len()
    }

    /// The id of vertex `v`.
    pub fn name(&self, v: VertexId) -> &str {
        self.names.get(v)
    }

    /// The vertex called `id`.
    pub fn find(&self, id: &str) -> Option<VertexId> {
        self.names.find(id)
    }

    /// The groups of `v`.
    pub fn groups(&self, v: VertexId) -> std::ops::Range<GroupId> {
        self.vertex_groups[v as usize]..self.vertex_groups[v as usize + 1]
    }

    /// How many members of `g` must not be down for it to hold.
    pub fn need(&self, g: GroupId) -> u32 {
        self.group_need[g as usize]
    }

    /// The vertex owning `g`.
    pub fn owner(&self, g: GroupId) -> VertexId {
        self.group_owner[g as usize]
    }

    /// The members of `g`, as listed.
    pub fn members(&self, g: GroupId) -> &[VertexId] {
        &self.members
            [self.group_members[g as usize] as usize..self.group_members[g as usize + 1] as usize]
    }

    /// Every group occurrence `v` is listed in.
    pub fn dependents(&self, v: VertexId) -> &[GroupId] {
        &self.dependents[self.dependent_start[v as usize] as usize
            ..self.dependent_start[v as usize + 1] as usize]
    }

    /// Vertices with every member before the vertices needing it.
    pub fn topological_order(&self) -> &[VertexId] {
        &self.topo
    }

    /// Position of `v` in [`Graph::topological_order`].
    pub fn rank(&self, v: VertexId) -> u32 {
        self.rank[v as usize]
    }

    /// Heap bytes held by the graph.
    pub fn heap_bytes(&self) -> usize {
        self.names.heap_bytes()
            + 4 * (self.vertex_groups.capacity()
                + self.group_need.capacity()
                + self.group_owner.capacity()
                + self.group_members.capacity()
                + self.members.capacity()
                + self.dependent_start.capacity()
                + self.dependents.capacity()
                + self.topo.capacity()
                + self.rank.capacity())
    }

    /// Kahn's algorithm; on failure, reports the cycles among the vertices left over.
    fn order(&mut self) -> Result<(), GraphError> {
        let n = self.vertex_count();
        // Unresolved member occurrences per vertex.
        let mut waiting: Vec<u32> = (0..n as u32)
            .map(|v| self.groups(v).map(|g| self.members(g).len() as u32).sum())
            .collect();
        let mut topo: Vec<VertexId> = (0..n as u32)
            .filter(|&v| waiting[v as usize] == 0)
            .collect();
        topo.reserve(n - topo.len());
        let mut head = 0;
        while head < topo.len() {
            let v = topo[head];
            head += 1;
            for &g in self.dependents(v) {
                let owner = self.group_owner[g as usize];
                let w = &mut waiting[owner as usize];
                *w -= 1;
                if *w == 0 {
                    topo.push(owner);
                }
            }
        }
        if topo.len() < n {
            return Err(GraphError::Cycles(Cycles {
                cycles: self.find_cycles(&waiting),
                names: std::mem::take(&mut self.names),
            }));
        }
        let mut rank = vec![0u32; n];
        for (i, &v) in topo.iter().enumerate() {
            rank[v as usize] = i as u32;
        }
        self.topo = topo;
        self.rank = rank;
        Ok(())
    }

    /// Finds cycles among vertices still waiting after Kahn's algorithm, by an iterative
    /// depth-first search that reports each back edge's cycle once (a member listed twice
    /// is one edge), up to [`MAX_REPORTED_CYCLES`].
    fn find_cycles(&self, waiting: &[u32]) -> Vec<Vec<VertexId>> {
        const WHITE: u8 = 0;
        const GREY: u8 = 1;
        const BLACK: u8 = 2;
        let n = self.vertex_count();
        let mut colour = vec![WHITE; n];
        let mut cycles = Vec::new();
        let mut path: Vec<VertexId> = Vec::new();
        // Stack of (vertex, next member index into its flattened member list).
        let mut stack: Vec<(VertexId, usize)> = Vec::new();
        // The vertex whose back edge to `m` was reported last, to skip repeated members.
        let mut reported_from = vec![VertexId::MAX; n];
        for start in 0..n as u32 {
            if waiting[start as usize] == 0 || colour[start as usize] != WHITE {
                continue;
            }
            stack.push((start, 0));
            colour[start as usize] = GREY;
            path.push(start);
            while let Some(&mut (v, ref mut next)) = stack.last_mut() {
                let groups = self.groups(v);
                let lo = self.group_members[groups.start as usize] as usize;
                let hi = self.group_members[groups.end as usize] as usize;
                if lo + *next < hi {
                    let m = self.members[lo + *next];
                    *next += 1;
                    match colour[m as usize] {
                        WHITE if waiting[m as usize] != 0 => {
                            colour[m as usize] = GREY;
                            path.push(m);
                            stack.push((m, 0));
                        }
                        GREY if reported_from[m as usize] != v => {
                            reported_from[m as usize] = v;
                            if let Some(pos) = path.iter().rposition(|&p| p == m) {
                                cycles.push(path[pos..].to_vec());
                                if cycles.len() == MAX_REPORTED_CYCLES {
                                    return cycles;
                                }
                            }
                        }
                        _ => {}
                    }
                } else {
                    colour[v as usize] = BLACK;
                    path.pop();
                    stack.pop();
                }
            }
        }
        cycles
    }
}
