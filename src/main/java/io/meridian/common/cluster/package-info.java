/**
 * What roles need to run on several nodes at once: the cluster's {@link
 * io.meridian.common.cluster.Membership} (members, their roles, each role's leader) and {@link
 * io.meridian.common.cluster.Replica}, which replicates a role's durable state from its leader
 * to every other member running the role (docs/cluster.md).
 */
package io.meridian.common.cluster;
