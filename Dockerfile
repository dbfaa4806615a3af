# Meridian: one jar, every role. Build: docker build -t meridian .
# Run:   docker run -p 8080:8080 -p 8500:8500 -p 15010:15010 -p 9080:9080 -p 9411:9411 -v meridian-data:/opt/meridian/data meridian
# The admin token is generated into the data volume (admin.token) unless MERIDIAN_ADMIN_TOKEN is set.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
COPY conf conf
COPY webroot webroot
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN groupadd --system meridian && useradd --system --gid meridian --home-dir /opt/meridian meridian
WORKDIR /opt/meridian
COPY --from=build /src/target/meridian.jar meridian.jar
COPY conf/meridian.yaml conf/meridian.yaml
RUN mkdir data && chown meridian:meridian data
USER meridian
ENV MERIDIAN_DATA_DIR=/opt/meridian/data
VOLUME ["/opt/meridian/data"]
# admin API/UI, Consul-compatible API, xDS, gateway, Zipkin intake, Hazelcast (cluster mode)
EXPOSE 8080 8500 15010 9080 9411 5701
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "meridian.jar", "--conf", "conf/meridian.yaml"]
